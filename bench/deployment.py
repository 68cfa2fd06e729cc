"""The whole ci gate against the testbed served as a deployment is, with one and two workers.

A deploy gate meets a deployment, not the auto-started testbed: one server that both xdist
workers share (their canaries, custody and request budget split between them), served by
several processes over PostgreSQL. This bench starts such a testbed (``--workers`` gunicorn
processes on the PostgreSQL server of ``--database-url`` / ``$DATABASE_URL``), points the gate
at it through a targets file as a ``staging`` target, and runs the ``ci`` profile with
``-n 1`` and with ``-n 2``, each against a fresh testbed, ``--repeat`` times. It prints the
wall time of each run, the median per worker count and their ratio, the requests sent, the
verdict and the end screen's target-state line. Goal: ``-n 2`` at most 20 s on 2 cores.

    eval "$(.ci/start-postgres)"          # or any PostgreSQL you may create databases on
    python bench/deployment.py [--workers 2] [--repeat 3] [--defects guest-fallthrough]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testbed.principals import targets_toml  # noqa: E402
from testbed.runner import Testbed  # noqa: E402

TIMEOUT = 600.0  # a run that takes this long is broken, not slow


@dataclass(frozen=True)
class Run:
    workers: int
    seconds: float
    exit_code: int
    requests: int
    findings: int
    state: str


def gate_once(workers: int, server_workers: int, database_url: str, defects: str) -> Run:
    chosen = frozenset(d for d in defects.split(",") if d)
    with (
        Testbed(defects=chosen, database_url=database_url, workers=server_workers) as info,
        tempfile.TemporaryDirectory(prefix="authfuzz-deployment-") as tmp,
    ):
        targets = Path(tmp) / "targets.toml"
        targets.write_text(targets_toml("deployment", info.base_url, "staging"), encoding="utf-8")
        report = Path(tmp) / "report"
        command = [
            sys.executable, "-m", "authfuzz.cli", "run", "--target", "deployment",
            "--targets-file", str(targets), "--profile", "ci", "-n", str(workers),
            "--report-dir", str(report), "--progress-every", "0",
        ]  # fmt: skip
        started = time.monotonic()
        completed = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT
        )
        seconds = time.monotonic() - started
        if completed.returncode not in (0, 1):
            sys.exit(
                f"the gate exited {completed.returncode} with -n {workers}:\n"
                f"{completed.stdout[-3000:]}{completed.stderr[-2000:]}"
            )
        requests = json.loads((report / "requests.json").read_text())["requests"]
        findings = len(json.loads((report / "findings.json").read_text())["findings"])
        if completed.returncode != 0 and not findings:  # a failure that is not a finding
            tail = "\n".join(completed.stdout.splitlines()[-40:])
            print(f"  -n {workers} failed without a finding; the run's last lines:\n{tail}")
        state = next(
            (line for line in completed.stdout.splitlines() if line.startswith("target state")),
            "target state: (not reported)",
        )
        return Run(workers, seconds, completed.returncode, requests, findings, state)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="server processes (gunicorn)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    parser.add_argument("--defects", default="", help="testbed defect switches (default: clean)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url:
        print(
            "bench/deployment.py: error: needs PostgreSQL: --database-url or $DATABASE_URL "
            '(eval "$(.ci/start-postgres)" starts a throw-away one)',
            file=sys.stderr,
        )
        return 2
    print(
        f"testbed: gunicorn, {args.workers} worker processes, PostgreSQL; "
        f"defects: {args.defects or 'none'}; machine: {os.cpu_count()} cores"
    )
    medians: dict[int, float] = {}
    for harness_workers in (1, 2):
        runs = []
        for _ in range(args.repeat):
            run = gate_once(harness_workers, args.workers, args.database_url, args.defects)
            runs.append(run)
            verdict = "PASS" if run.exit_code == 0 else f"FAIL ({run.findings} findings)"
            print(
                f"  -n {harness_workers}: {run.seconds:5.1f} s  {verdict:<18} "
                f"{run.requests:,} requests  {run.state}",
                flush=True,
            )
        medians[harness_workers] = statistics.median(r.seconds for r in runs)
    ratio = medians[2] / medians[1]
    print(
        f"median: -n 1 {medians[1]:.1f} s, -n 2 {medians[2]:.1f} s; "
        f"-n 2 / -n 1 = {ratio:.2f} (goal: -n 2 at most 20 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
