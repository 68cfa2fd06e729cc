"""The end-of-run figures: requests counted exactly, budget left, findings grouped, one screen.

The request count is checked against the testbed's own request log, with and without
pytest-xdist, so the figure a CI owner reads is the traffic the target really received.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testbed.runner import Testbed
from tests.harness.gate import run_gate, write_targets

pytestmark = pytest.mark.slow

# Branches whose forms the web server passes to the API: a header with a control character
# (some sub-forms of other branches) is answered by waitress itself, before the request log.
SUBSET = (
    "-k",
    "test_identity_probes or (test_branch_never_writes and "
    "(no-credentials or non-staff or inactive or legacy-query or session-cookie))",
)
BUDGET = 100_000


def _budgeted_targets(tmp_path: Path, base_url: str) -> Path:
    path = write_targets(tmp_path, "bench", base_url, "local")
    text = path.read_text().replace(
        'environment = "local"\n', f'environment = "local"\nmax_requests = {BUDGET}\n', 1
    )
    path.write_text(text)
    return path


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist-2"])
def test_requests_sent_equal_what_the_target_logged(tmp_path: Path, workers: list[str]) -> None:
    with Testbed() as info:
        targets = _budgeted_targets(tmp_path, info.base_url)
        run = run_gate(
            tmp_path,
            "--targets-file",
            str(targets),
            "--target",
            "bench",
            *SUBSET,
            *workers,
            select="suites/test_auth_branches.py",
        )
        logged = len(info.logged_requests())
    assert run.returncode == 0, run.output[-3000:]
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    assert logged > 100, "too few requests for the comparison to mean anything"
    assert summary["requests"] == logged
    # Custody's own requests (the state digests, the snapshots around bulk deletes) are sent
    # outside the budget: leaving the target as it was must never be refused for want of it.
    budgeted = logged - summary["requests_custody"]
    assert 0 < summary["requests_custody"] < logged
    assert summary["budget_limit"] == BUDGET
    assert summary["budget_left"] == BUDGET - budgeted
    assert f"requests  {logged:,} sent; budget {BUDGET - budgeted:,} of {BUDGET:,} left" in (
        run.output
    )
    assert summary["verdict"] == "pass"
    assert summary["tests"]["failed"] == 0
    assert summary["tests"]["passed"] > 0


def test_findings_are_announced_live_and_summarised_on_one_screen(tmp_path: Path) -> None:
    run = run_gate(
        tmp_path,
        "--defects",
        "guest-fallthrough",
        "--progress-every",
        "0.001",
        "-rN",
        "-v",  # cancels run_gate's -q: the default verbosity of authfuzz run, header included
        "-k",
        "test_identity_probes or test_branch_never_writes",
        select="suites/test_auth_branches.py",
    )
    assert run.returncode == 1, run.output[-3000:]
    assert "authfuzz: target testbed (local) at the embedded testbed" in run.output
    assert "with defects guest-fallthrough" in run.output
    lines = run.output.splitlines()
    announced = [line for line in lines if line.startswith("authfuzz: FINDING")]
    # One announcement per (invariant, branch), however many operations it hits.
    assert len(announced) == len(set(announced)) >= 2
    assert any("branch wrong-key" in line for line in announced)
    status = [line for line in lines if re.match(r"authfuzz: \d+/\d+ tests \| ", line)]
    assert status, "no progress line although one was due after every test"
    title = next(i for i, line in enumerate(lines) if "authfuzz: FAIL, " in line)
    screen = lines[title:]
    assert len(screen) <= 24, "\n".join(screen)
    text = "\n".join(screen)
    assert re.search(r"no-unauthenticated-write\s+wrong-key\s+\d+ finding", text)
    assert re.search(r"reproduce the first \([\w-]+, (POST|DELETE) /api/v1/", text), text
    assert "replay    authfuzz repro" in text


def test_progress_can_be_turned_off(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--progress-every", "0", "-k", "test_identity_probe", select="suites")
    assert run.returncode == 0, run.output[-3000:]
    assert not re.search(r"^authfuzz: \d+/\d+ tests", run.output, re.MULTILINE)
    assert "authfuzz: PASS, no findings" in run.output
