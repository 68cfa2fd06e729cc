"""Wall and CPU time of the gate runs the harness's slow tier starts most, one after another.

    python bench/gate_runs.py [--repeat 3]

The slow tier is some 250 gate runs, each a ``pytest suites/...`` process against its own
testbed; on 2 cores it is CPU-bound, so what one run costs decides how long the tests take.
Each row is one selection of the kind the tests start (the whole gate, the dimension suite,
the bulk-delete suite under a defect, the auth suite under the February 2026 bug, one API of
the route suite), run ``--repeat`` times back to back; the table shows the median wall time
and the median CPU time of the run and its testbed (user + system, children included). Runs
load the plugins a user's install has (no pytest-benchmark, pytest-cov or anyio's plugin), as
the harness's tests do. Compare two commits on the same machine in the same hour: this one
varies by a fifth between hours.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 600
SELECTIONS = [
    ("the whole gate", ["suites"]),
    ("dimension suite", ["suites/test_dimensions.py", "--hypothesis-seed", "1"]),
    ("bulk-delete suite, nfkc-credentials", ["suites/test_bulk_delete_scope.py", "--defects", "nfkc-credentials"]),
    ("auth suite, guest-fallthrough", ["suites/test_auth_branches.py", "--defects", "guest-fallthrough"]),
    ("route suite, v2", ["suites/test_route_surface.py", "--hypothesis-seed", "1", "-k", "v2"]),
]  # fmt: skip


def one_run(arguments: list[str], report_dir: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the run and its testbed, exit code)."""
    env = {**os.environ, "PYTEST_ADDOPTS": "-p no:benchmark -p no:pytest_cov -p no:anyio"}
    command = [sys.executable, "-m", "pytest", *arguments, "-p", "no:cacheprovider", "-q"]
    command += ["--report-dir", str(report_dir), "--hypothesis-profile", "ci"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=TIMEOUT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per selection (default 3)")
    args = parser.parse_args()
    print(f"{'selection':<38} {'wall s':>7} {'CPU s':>7}  exit codes", flush=True)
    with tempfile.TemporaryDirectory(prefix="authfuzz-bench-") as scratch:
        for label, arguments in SELECTIONS:
            runs = [one_run(arguments, Path(scratch) / "report") for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            codes = ",".join(str(r[2]) for r in runs)
            print(f"{label:<38} {wall:7.2f} {cpu:7.2f}  {codes}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
