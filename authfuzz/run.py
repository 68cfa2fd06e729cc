"""``authfuzz run``: the gate, as one command that wraps ``pytest suites``.

Exit codes: 0 clean, 1 findings (or failed checks), 2 usage or configuration
error, 3 target unreachable.
"""

from __future__ import annotations

import argparse

import pytest

from authfuzz.layout import SUITES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authfuzz run",
        description="Run the security gate against a target and write the reports.",
        epilog="exit codes: 0 clean, 1 findings, 2 usage/config error, 3 target unreachable. "
        "Arguments after -- go to pytest.",
    )
    parser.add_argument("--target", default="testbed", help="target name (default: testbed)")
    parser.add_argument("--targets-file", help="targets file (default: ./targets.toml)")
    parser.add_argument("--defects", default="", help="defect switches for the embedded testbed")
    parser.add_argument("--profile", choices=("ci", "dev", "deep"), help="Hypothesis profile")
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers (e.g. 2 or auto)")
    parser.add_argument("--report-dir", default="authfuzz-report", help="report directory")
    parser.add_argument(
        "--progress-every",
        type=float,
        metavar="SECONDS",
        help="a status line (tests, findings, requests, budget) at most every SECONDS "
        "(default 10; 0: off)",
    )
    parser.add_argument(
        "--fit-throttle",
        action="store_true",
        help="trim fuzzed examples until the run fits the target's throttles (the explicit "
        "examples, which exercise every cell, always stay)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        metavar="SECONDS",
        help="stop checking after SECONDS; what was not checked is listed, and the run fails",
    )
    parser.add_argument(
        "--matrix",
        choices=("summary", "detailed"),
        help="coverage on the end screen: the branch x operation grid (summary, the default) "
        "or the grid and every sub-form each branch ran (detailed)",
    )
    parser.add_argument(
        "--as-production",
        action="store_true",
        help="treat the target as production: send nothing that could change state",
    )
    parser.add_argument("pytest_args", nargs="*", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not SUITES.is_dir():
        print(
            f"authfuzz run: error: the suites directory {SUITES} is missing (run from a checkout)"
        )
        return 2
    pytest_args = [
        str(SUITES),
        "--target",
        args.target,
        "--report-dir",
        args.report_dir,
        "-p",
        "no:cacheprovider",
        # No short test summary: the authfuzz summary (failures grouped by invariant and
        # branch) is the last screen, and every failure's detail is printed above it.
        "-rN",
    ]
    if args.targets_file:
        pytest_args += ["--targets-file", args.targets_file]
    if args.defects:
        pytest_args += ["--defects", args.defects]
    if args.profile:
        pytest_args += ["--hypothesis-profile", args.profile]
    if args.progress_every is not None:
        pytest_args += ["--progress-every", str(args.progress_every)]
    if args.matrix:
        pytest_args += ["--matrix", args.matrix]
    if args.as_production:
        pytest_args.append("--as-production")
    if args.fit_throttle:
        pytest_args.append("--fit-throttle")
    if args.max_seconds is not None:
        pytest_args += ["--max-seconds", str(args.max_seconds)]
    if args.workers:
        pytest_args += ["-n", args.workers]
    code = int(pytest.main(pytest_args + args.pytest_args))
    return {0: 0, 1: 1, 2: 2, 3: 3, 4: 2, 5: 2}.get(code, 1)
