"""Run the gate (``pytest suites``) in a subprocess, as a user or CI would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
