"""The one verdict: every way a run ends maps to exactly one verdict and exit code.

Pure: ``authfuzz.verdict.decide`` over the facts the collector counts. The endings as real
runs (signals, dead workers, servers that are not the API) are in ``test_endings.py``.
"""

from __future__ import annotations

import pytest

from authfuzz.verdict import EXIT_CODES, Ending, RunFacts, Verdict, decide

ALL_RAN = {"collected": 10, "done": 10}

CASES = [
    # (facts, verdict, words the reason must contain)
    (RunFacts(**ALL_RAN), Verdict.PASS, ""),
    (RunFacts(findings=3, **ALL_RAN), Verdict.FAIL, "3 finding(s)"),
    # A finding stands even if the run was then interrupted, or a worker died.
    (RunFacts(findings=1, interrupted="SIGINT", collected=10, done=4), Verdict.FAIL, "1 finding"),
    (RunFacts(findings=1, workers_lost=("gw1",), **ALL_RAN), Verdict.FAIL, "1 finding"),
    (RunFacts(interrupted="SIGINT", collected=10, done=4), Verdict.INCOMPLETE, "after 4 of 10"),
    (RunFacts(interrupted="SIGTERM", collected=10, done=4), Verdict.INCOMPLETE, "SIGTERM"),
    # Interrupted right at the end: every test ran, but the run did not finish its clean-up.
    (RunFacts(interrupted="SIGINT", **ALL_RAN), Verdict.INCOMPLETE, "interrupted"),
    (RunFacts(workers_lost=("gw1",), **ALL_RAN), Verdict.INCOMPLETE, "gw1 died"),
    (RunFacts(not_checked=40, not_checked_for_time=40, **ALL_RAN), Verdict.INCOMPLETE, "40"),
    (RunFacts(collected=10, done=9), Verdict.INCOMPLETE, "1 of 10 test(s) not run"),
    (RunFacts(failed_without_finding=2, **ALL_RAN), Verdict.ERROR, "2 test(s) failed"),
    (RunFacts(not_checked=1, **ALL_RAN), Verdict.NOT_CLEAN, "1 check(s) not checked"),
    (RunFacts(state_read=False, **ALL_RAN), Verdict.NOT_CLEAN, "could not be read"),
    (RunFacts(state_as_found=False, **ALL_RAN), Verdict.NOT_CLEAN, "not left as found"),
    (RunFacts(unreachable="no answer", collected=10, done=3), Verdict.UNREACHABLE, "no answer"),
    (
        RunFacts(early=Ending(Verdict.ERROR, "answered 200 text/html"), collected=0),
        Verdict.ERROR,
        "text/html",
    ),
    (RunFacts(early=Ending(Verdict.REFUSED, "plan needs 3,002")), Verdict.REFUSED, "3,002"),
]


@pytest.mark.parametrize(("facts", "verdict", "words"), CASES)
def test_each_ending_has_one_verdict_and_a_reason(
    facts: RunFacts, verdict: Verdict, words: str
) -> None:
    ending = decide(facts)
    assert ending.verdict is verdict
    assert words in ending.reason
    assert ending.headline().startswith(f"authfuzz: {verdict.label}")
    assert (ending.reason == "") == (verdict is Verdict.PASS)


def test_only_a_run_where_everything_ran_passes() -> None:
    """PASS needs every collected test done; unknown collection (no tests) is not a pass."""
    assert decide(RunFacts(collected=5, done=5)).verdict is Verdict.PASS
    assert decide(RunFacts(collected=5, done=0)).verdict is Verdict.INCOMPLETE
    assert decide(RunFacts(collected=0, done=0)).verdict is Verdict.REFUSED  # -k matched none


def test_every_verdict_has_its_own_exit_code() -> None:
    assert set(EXIT_CODES) == set(Verdict)
    assert len(set(EXIT_CODES.values())) == len(Verdict)
    assert Verdict.PASS.exit_code == 0 and Verdict.FAIL.exit_code == 1


def test_a_bare_authfuzz_is_a_usage_error_not_a_success(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from authfuzz.cli import main

    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
    with pytest.raises(SystemExit) as asked:
        main(["--help"])
    assert asked.value.code == 0  # asking for help is not an error
