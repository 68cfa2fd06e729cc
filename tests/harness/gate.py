"""Run the gate (``pytest suites``) in a subprocess, as a user or CI would."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GateRun:
    returncode: int
    output: str
    report_dir: Path
    junit: Path

    def findings(self) -> list[dict[str, Any]]:
        path = self.report_dir / "findings.json"
        if not path.exists():
            return []
        findings: list[dict[str, Any]] = json.loads(path.read_text())["findings"]
        return findings

    def branches(self, oracle: str | None = None) -> set[str]:
        return {f["branch"] for f in self.findings() if oracle is None or f["oracle"] == oracle}

    def everything_written(self) -> str:
        """Every byte the run produced: output, JUnit XML and the report directory."""
        parts = [self.output, self.junit.read_text() if self.junit.exists() else ""]
        parts += [p.read_text() for p in sorted(self.report_dir.rglob("*")) if p.is_file()]
        return "\n".join(parts)


def write_targets(
    tmp_path: Path, name: str, base_url: str, environment: str, throttled: bool = False
) -> Path:
    """A targets file for an already running testbed, with the testbed's fixed accounts."""
    from testbed.principals import targets_toml

    path = tmp_path / "targets.toml"
    path.write_text(targets_toml(name, base_url, environment, throttled))
    return path


def run_gate(tmp_path: Path, *args: str, select: str = "suites", timeout: float = 600) -> GateRun:
    report_dir = tmp_path / "report"
    junit = tmp_path / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(REPO / select),
        "-p",
        "no:cacheprovider",
        "-q",
        "-W",
        "ignore::DeprecationWarning",
        "--report-dir",
        str(report_dir),
        f"--junitxml={junit}",
        "--hypothesis-profile",
        "ci",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_CURRENT_TEST", None)
    completed = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return GateRun(completed.returncode, completed.stdout + completed.stderr, report_dir, junit)


def shared_gate_run(
    tmp_path_factory: pytest.TempPathFactory, *args: str, select: str = "suites"
) -> GateRun:
    """One run of this exact gate command per test session, for every test that asks it.

    Tests in different modules ask questions of the same run (the February 2026 bug through
    the auth suite: its findings, its reports, its PoC files): the first to ask runs it, under
    a lock shared by pytest-xdist's workers, and the others read the same output and report
    directory. They must only read it.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the workers' temporary directories share the session's
    key = hashlib.sha256(json.dumps([select, *args]).encode()).hexdigest()[:16]
    directory = base / "shared-gate-runs" / key
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / "run.json"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            data = json.loads(record.read_text())
            return GateRun(
                data["returncode"], data["output"], directory / "report", directory / "junit.xml"
            )
        run = run_gate(directory, *args, select=select)
        record.write_text(json.dumps({"returncode": run.returncode, "output": run.output}))
        return run
