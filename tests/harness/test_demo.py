"""``authfuzz demo``: the real command once end to end, its verdict logic on plain data.

The end-to-end test runs the command exactly as the README tells a new user to, against two
real testbeds. How long it took is recorded (``demo_seconds``), never asserted: the
under-a-minute goal is a benchmark's business, on a machine that is not shared with the rest
of the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from authfuzz.demo.display import side_by_side
from authfuzz.demo.results import SideResult, pick_reproduction, read_side, verdict
from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from testbed.principals import ACCOUNTS
from tests.harness.gate import REPO

REDACTOR = Redactor.for_principals(load_target(REPO / "targets.toml", "testbed").principals)


def authfuzz_demo(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "demo", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, record_property: Any) -> None:
    started = time.monotonic()
    run = authfuzz_demo("--report-dir", str(tmp_path))
    seconds = round(time.monotonic() - started, 1)
    record_property("demo_seconds", seconds)
    print(f"authfuzz demo took {seconds} s")
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr[-4000:]

    table = out.split("clean testbed", 1)[1].split("Reproduction of the bypass", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if " | " in line]
    verdicts = [row for row in rows if row[0].startswith("verdict")]
    assert verdicts, table
    clean_verdict, defect_verdict = (cell.split(None, 1)[1].strip() for cell in verdicts[0])
    assert clean_verdict == "PASS"
    assert defect_verdict.startswith("FAIL: ") and defect_verdict.endswith(" findings")
    assert any(row[1].split()[:1] == ["wrong-key"] for row in rows), table
    assert all(len(line) <= 80 for line in table.splitlines())

    assert "curl -sS" in out
    assert "authfuzz repro " in out and "--defects guest-fallthrough" in out
    assert str(tmp_path / "clean" / "report.html") in out
    assert str(tmp_path / "guest-fallthrough" / "report.html") in out
    assert (tmp_path / "guest-fallthrough" / "findings.json").is_file()
    assert out.rstrip().endswith(
        "authfuzz caught the Feb-2026 bypass and passed the clean testbed."
    )

    printed = out + run.stderr
    for account in ACCOUNTS:
        for secret in (account.api_key, account.token, account.password):
            assert secret not in printed, f"{account.name}'s secret was printed"
    assert not REDACTOR.contains_secret(printed)  # near misses of a key included


def test_unknown_defect_is_one_line_and_exit_2() -> None:
    run = authfuzz_demo("--defect", "no-such-switch", timeout=60)
    assert run.returncode == 2
    printed = (run.stdout + run.stderr).strip()
    assert len(printed.splitlines()) == 1, printed
    assert "unknown defect no-such-switch; valid defects are: guest-fallthrough" in printed
    assert "Traceback" not in printed


# -- the verdict, on plain data -------------------------------------------------------------


def finding(branch: str = "wrong-key", oracle: str = "read-back", **extra: Any) -> dict[str, Any]:
    return {
        "invariant": "no-unauthenticated-write",
        "oracle": oracle,
        "target": "testbed",
        "branch": branch,
        "operation": "POST /api/v1/downloads/os/",
        "summary": "the write took effect (status 201) without valid staff credentials",
        "request": "POST /api/v1/downloads/os/ | Authorization: ApiKey admin:{redacted}",
        "status": 201,
        "evidence": "objects with the request's nonce after the attempt: 1",
        "curl": "curl -sS -i -X POST http://127.0.0.1:1/api/v1/downloads/os/",
        "labels": [],
        **extra,
    }


def side(
    name: str, returncode: int | None, findings: list[dict[str, Any]], ran: bool = True
) -> SideResult:
    summary = {"target": "testbed", "findings": len(findings), "seconds": 30.0} if ran else None
    return SideResult(name, returncode, summary, tuple(findings), seconds=31.0)


CLEAN_PASS = side("clean", 0, [])
CAUGHT = side("guest-fallthrough", 1, [finding()])


def test_verdict_clean_passes_and_defect_caught() -> None:
    code, line = verdict(CLEAN_PASS, CAUGHT)
    assert code == 0
    assert line == "authfuzz caught the Feb-2026 bypass and passed the clean testbed."


def test_verdict_a_finding_on_clean_fails_the_demo() -> None:
    code, line = verdict(side("clean", 1, [finding()]), CAUGHT)
    assert code == 1
    assert "clean testbed had 1 finding (false positives)" in line


def test_verdict_a_failed_check_on_clean_fails_the_demo() -> None:
    code, line = verdict(side("clean", 1, []), CAUGHT)
    assert code == 1
    assert "failed the gate (exit 1) without findings" in line


def test_verdict_a_not_clean_clean_side_fails_the_demo_and_says_why() -> None:
    """NOT CLEAN on the clean testbed is a verdict the gate reached: the demonstration failed,
    with the gate's own reason, in the table and the closing line; never "could not run"."""
    summary = {"target": "testbed", "findings": 0, "seconds": 30.0, "verdict": "not clean",
               "reason": "2 check(s) not checked"}  # fmt: skip
    clean = SideResult("clean", 4, summary, (), seconds=31.0)
    code, line = verdict(clean, CAUGHT)
    assert code == 1
    assert (
        line == "demonstration failed: the clean testbed ended NOT CLEAN (2 check(s) not checked)."
    )
    table = side_by_side(clean, CAUGHT)
    assert "NOT CLEAN: see its reports" in table and "DID NOT RUN" not in table
    assert all(len(row) <= 80 for row in table.splitlines())


def test_verdict_a_missed_defect_fails_the_demo() -> None:
    code, line = verdict(CLEAN_PASS, side("guest-fallthrough", 0, []))
    assert code == 1
    assert line == "demonstration failed: the gate missed the Feb-2026 bypass."
    assert verdict(CLEAN_PASS, side("http-urls", 0, []))[1].endswith("http-urls defect.")


@pytest.mark.parametrize(
    ("clean", "broken"),
    [
        (side("clean", 2, [], ran=False), CAUGHT),  # the clean testbed did not start
        (CLEAN_PASS, side("guest-fallthrough", 3, [], ran=False)),  # unreachable
        (CLEAN_PASS, side("guest-fallthrough", None, [], ran=False)),  # stopped by the demo
        (CLEAN_PASS, side("guest-fallthrough", 1, [finding()], ran=False)),  # no findings.json
    ],
)
def test_verdict_a_side_that_did_not_run_is_exit_3(clean: SideResult, broken: SideResult) -> None:
    code, line = verdict(clean, broken)
    assert code == 3
    assert line.startswith("the gate could not run against the ")
    assert line.endswith("see its gate.log above.")


def test_reproduction_prefers_a_wrong_key_read_back() -> None:
    findings = [
        finding("poc:pr2946-guest-fallthrough"),
        finding("wrong-key", oracle="identity-probe"),
        finding("other-users-key"),
        finding("wrong-key", summary="this one"),
    ]
    assert pick_reproduction(findings) == findings[3]
    assert pick_reproduction(findings[:3]) == findings[2]
    assert pick_reproduction(findings[:1]) == findings[0]
    assert pick_reproduction([]) is None


def test_read_side_and_table_fit_80_columns(tmp_path: Path) -> None:
    summary = {
        "target": "testbed",
        "findings": 2,
        "seconds": 40.0,
        "environment": "local",
        "profile": "ci",
        "workers": 1,
        "verdict": "fail",
        "tests": {"passed": 847, "failed": 27, "skipped": 2},
        "requests": 3456,
        "budget_limit": None,
        "budget_left": None,
    }
    findings = [finding(), finding("unknown-user-with-a-long-branch-name-that-wraps")]
    (tmp_path / "findings.json").write_text(json.dumps({"summary": summary, "findings": findings}))
    (tmp_path / "gate.log").write_text("")
    broken = read_side("guest-fallthrough", tmp_path, Path("d"), 1, 41.0, REDACTOR)
    assert broken.ran and len(broken.findings) == 2
    assert broken.tests == {"passed": 847, "failed": 27, "skipped": 2}
    table = side_by_side(CLEAN_PASS, broken)
    assert all(len(line) <= 80 for line in table.splitlines()), table
    assert "FAIL: 2 findings" in table
    assert "requests  3456" in table


def test_a_side_that_did_not_run_shows_its_log_redacted(tmp_path: Path) -> None:
    key = ACCOUNTS[0].api_key
    (tmp_path / "gate.log").write_text(
        "".join(f"line {i}\n" for i in range(40))
        + f"! _pytest.outcomes.Exit: authfuzz: cannot start the testbed: about {key} !\n"
        + "==== 1 warning in 0.82s ====\n"
    )
    result = read_side("clean", tmp_path, Path("d"), 2, 3.0, REDACTOR)
    assert not result.ran
    assert len(result.log_tail) == 15
    assert result.log_tail[-2].startswith("! _pytest.outcomes.Exit: authfuzz: cannot start")
    assert key not in "\n".join(result.log_tail)
    assert result.reason == "cannot start the testbed: about {principal.admin.api_key}"
    assert "DID NOT RUN" in side_by_side(result, CAUGHT)
