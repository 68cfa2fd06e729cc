"""``--baseline FILE``: known findings are reported but do not fail the run; new ones do.

- the file is an earlier ``findings.json`` or ``{"accepted": [...]}``; a file that cannot be
  read, is not JSON or has an entry without the four identity keys is one line, and the run is
  refused before its first request;
- the verdict counts only findings the baseline does not accept: all accepted is PASS (with
  the count), one new is FAIL; an accepted entry not found again is reported as fixed;
- end to end against the testbed with the Feb-2026 bug: a run with its own earlier findings as
  the baseline passes, with SARIF ``baselineState`` unchanged; with half of them, it fails on
  the other half; a stale entry is listed as fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authfuzz.baseline import Baseline, BaselineError
from authfuzz.findings import Finding
from authfuzz.verdict import RunFacts, Verdict, decide
from tests.harness.gate import run_gate

ENTRY = {"invariant": "no-foreign-url", "branch": "stored:v1", "operation": "GET /api/v1/downloads/release_file/", "oracle": "stored-url-sweep"}  # fmt: skip


def _finding(**fields: str) -> Finding:
    base = dict(ENTRY, target="production", summary="s", request="r", status=200,
                evidence="e", curl="c")  # fmt: skip
    return Finding.from_dict({**base, **fields})


def test_a_kept_list_or_a_findings_json_is_a_baseline(tmp_path: Path) -> None:
    kept = tmp_path / "accepted.json"
    kept.write_text(json.dumps({"accepted": [{**ENTRY, "reason": "legacy http URLs, #4021"}]}))
    baseline = Baseline.load(kept)
    legacy, fresh = _finding(), _finding(operation="GET /api/v2/downloads/release_file/")
    assert baseline.new([legacy, fresh]) == [fresh]
    assert baseline.fixed([fresh]) == [tuple(ENTRY.values())]
    earlier = tmp_path / "findings.json"
    earlier.write_text(json.dumps({"findings": [legacy.to_dict()], "summary": {}}))
    assert Baseline.load(earlier).accepted == baseline.accepted


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read it"),
        ("{not json", "not JSON"),
        (json.dumps([1, 2]), "expected a findings.json"),
        (json.dumps({"accepted": [{"invariant": "x"}]}), "entry 1 needs invariant, branch"),
    ],
)
def test_a_bad_baseline_is_one_line(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=says) as caught:
        Baseline.load(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_verdict_counts_only_new_findings() -> None:
    passed = decide(RunFacts(findings=0, accepted=3, collected=5, done=5))
    assert passed.verdict is Verdict.PASS and "3 accepted by the baseline" in passed.reason
    failed = decide(RunFacts(findings=1, accepted=2, collected=5, done=5))
    assert failed.verdict is Verdict.FAIL and failed.reason.startswith("1 new finding(s)")


SUBSET = ("-k", "test_branch_never_writes and v1-wrong-key", "-p", "no:randomly")
SUITE = "suites/test_auth_branches.py"


@pytest.mark.slow
def test_a_run_fails_only_on_findings_its_baseline_does_not_accept(tmp_path: Path) -> None:
    first = run_gate(tmp_path / "1", "--defects", "guest-fallthrough", *SUBSET, select=SUITE)
    assert first.returncode == 1, first.output[-3000:]
    earlier = first.report_dir / "findings.json"
    findings = json.loads(earlier.read_text())["findings"]
    assert len(findings) >= 4

    known = run_gate(tmp_path / "2", "--defects", "guest-fallthrough", "--baseline", str(earlier),
                     *SUBSET, select=SUITE)  # fmt: skip
    assert known.returncode == 0, known.output[-3000:]
    assert "authfuzz: PASS, no new finding;" in known.output
    summary = json.loads((known.report_dir / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "pass" and summary["baseline"]["new"] == 0
    sarif = json.loads((known.report_dir / "findings.sarif").read_text())
    states = {r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states == {"unchanged"}

    half = tmp_path / "half.json"
    stale = {**ENTRY, "branch": "stored:v2"}
    accepted = [*findings[: len(findings) // 2], stale]
    half.write_text(json.dumps({"accepted": accepted}))
    partly = run_gate(tmp_path / "3", "--defects", "guest-fallthrough", "--baseline", str(half),
                      *SUBSET, select=SUITE)  # fmt: skip
    assert partly.returncode == 1, partly.output[-3000:]
    assert "new finding(s) (and" in partly.output
    assert "1 entry of it fixed (not found again)" in partly.output
    assert "fixed   no-foreign-url stored:v2" in partly.output
