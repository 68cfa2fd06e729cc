"""Two xdist workers sharing one real target find exactly what one worker finds.

A deployment is one server: with ``-n 2`` both workers talk to it, its ``max_requests`` is
split between them, and the controller alone keeps custody of its data. If spreading the
tests made a finding vanish (a worker's writes hiding another's, custody putting an object
back under a test's feet), CI would pass a defect only because it ran in parallel. So the
same defective testbed, fresh for each run and described as a ``staging`` target in a
temporary targets file, is gated with ``-n 1`` and ``-n 2`` and the findings must agree.

The runs share one Hypothesis seed, so both draw the same examples;
``AUTHFUZZ_PARALLEL_SEED=N`` repeats the comparison with another draw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testbed.runner import Testbed
from tests.harness.gate import REPO, write_targets

pytestmark = pytest.mark.slow

TARGET = "shared"
DEFECTS = ("guest-fallthrough",)
# Odd, so a split shows: two workers get 10,000 each (20,000 in all), one worker 20,001.
BUDGET = 20_001
SEED = os.environ.get("AUTHFUZZ_PARALLEL_SEED", "20260214")
# ``authfuzz run`` always collects the whole suites directory (a path after -- only adds to
# it), so the auth-branch suite is selected by its module name instead.
SELECT = ("-k", "test_auth_branches")

FindingKey = tuple[str, str, str, str]  # invariant, branch, operation, oracle


@dataclass(frozen=True)
class SharedRun:
    returncode: int
    output: str
    summary: dict[str, Any]
    findings: set[FindingKey]
    logged: int  # requests the shared testbed answered, from its own log
    after: str = ""  # what ``then`` printed


def _gate_shared_testbed(
    tmp_path: Path,
    workers: int,
    defects: tuple[str, ...] = DEFECTS,
    select: tuple[str, ...] = SELECT,
    then: Callable[[Path, Path], str] | None = None,
) -> SharedRun:
    """``authfuzz run -n workers`` against a fresh defective testbed named in a targets file;
    ``then(targets file, report dir)`` runs against the same testbed afterwards."""
    tmp_path.mkdir()
    report_dir = tmp_path / "report"
    after = ""
    with Testbed(defects=defects) as info:
        targets = write_targets(tmp_path, TARGET, info.base_url, "staging")
        text = targets.read_text().replace(
            'environment = "staging"\n', f'environment = "staging"\nmax_requests = {BUDGET}\n', 1
        )
        targets.write_text(text)
        # The children must not take this session's xdist worker for their own.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        env.pop("PYTEST_CURRENT_TEST", None)
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "authfuzz.cli",
                "run",
                "--target",
                TARGET,
                "--targets-file",
                str(targets),
                "--profile",
                "ci",
                "-n",
                str(workers),
                "--report-dir",
                str(report_dir),
                "--progress-every",
                "0",
                "--",
                *select,
                f"--hypothesis-seed={SEED}",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        logged = len(info.logged_requests())
        header = f"authfuzz: target {TARGET} (staging) at {info.base_url}"
        if then is not None:
            after = then(targets, report_dir)
    output = completed.stdout + completed.stderr
    assert header in output, output[-3000:]
    report = json.loads((report_dir / "findings.json").read_text())
    keys = {(f["invariant"], f["branch"], f["operation"], f["oracle"]) for f in report["findings"]}
    return SharedRun(completed.returncode, output, report["summary"], keys, logged, after)


def _assert_budget_kept(run: SharedRun, limit: int) -> None:
    summary = run.summary
    # Custody's own requests are outside the budget; every other request spent from it.
    budgeted = summary["requests"] - summary["requests_custody"]
    assert summary["budget_limit"] == limit
    assert 0 < budgeted == limit - summary["budget_left"] <= limit
    assert summary["not_checked"]["count"] == 0, summary["not_checked"]
    assert f"budget {summary['budget_left']:,} of {limit:,} left" in run.output
    # Every process talked to the one testbed. Its log can fall short of the count: waitress
    # answers 400 itself, before Django logs, to a drawn header with a control character.
    assert 0 < run.logged <= summary["requests"]


def _assert_state_unchanged(run: SharedRun) -> None:
    state = run.summary["target_state"]
    assert state["checked"] and state["unchanged"], state
    assert not state["not_cleaned"], state
    assert "target state: unchanged" in run.output, run.output[-3000:]


def test_two_workers_on_one_shared_target_find_what_one_finds(tmp_path: Path) -> None:
    one = _gate_shared_testbed(tmp_path / "n1", 1)
    two = _gate_shared_testbed(tmp_path / "n2", 2)
    assert one.returncode == 1, one.output[-3000:]
    assert two.returncode == 1, two.output[-3000:]
    assert (one.summary["workers"], two.summary["workers"]) == (1, 2)
    assert one.findings, "the defect was not found: the comparison would mean nothing"
    assert two.findings == one.findings, {
        "only -n 1": sorted(one.findings - two.findings),
        "only -n 2": sorted(two.findings - one.findings),
    }
    _assert_budget_kept(one, BUDGET)
    _assert_budget_kept(two, 2 * (BUDGET // 2))  # each worker's share is BUDGET // 2
    _assert_state_unchanged(one)
    _assert_state_unchanged(two)


def _replay_each(targets: Path, report_dir: Path) -> str:
    """Every exported PoC replayed alone (``authfuzz repro``), on the testbed the run left."""
    pocs = sorted((report_dir / "pocs").glob("*.toml"))
    assert pocs, "no PoC was exported"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    completed = subprocess.run(
        [
            sys.executable, "-m", "authfuzz.cli", "repro", *map(str, pocs),
            "--target", TARGET, "--targets-file", str(targets),
        ],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    return completed.stdout + completed.stderr


def test_every_finding_of_two_workers_on_a_destructive_build_replays_alone(tmp_path: Path) -> None:
    """Two workers on one build that still has the unscoped bulk delete: one worker's bulk
    delete must never be blamed on the other's rejected request, every reported finding's PoC
    must replay VULNERABLE on its own, and custody must leave the target as it was, each
    deleted file put back once."""
    run = _gate_shared_testbed(
        tmp_path / "n2",
        2,
        defects=("unscoped-bulk-delete", "guest-fallthrough"),
        select=("-k", "test_auth_branches or test_bulk_delete_scope"),
        then=_replay_each,
    )
    assert run.returncode == 1, run.output[-3000:]
    branches = {branch for _, branch, _, _ in run.findings}
    assert "wrong-key" in branches, branches
    assert any(b.startswith("bulk-filter:") for b in branches), branches
    # Only branches that really reach a write on this build: nothing blamed on a 401.
    assert not branches & {"unknown-user", "legacy-query", "no-credentials"}, branches
    exported = run.after.count("\n  => ")
    assert exported and run.after.count("\n  => VULNERABLE") == exported, run.after[-3000:]
    _assert_state_unchanged(run)  # nothing "could not be undone"
