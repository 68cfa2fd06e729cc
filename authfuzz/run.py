"""``authfuzz run``: the gate, as one command that wraps ``pytest suites``.

Exit codes: 0 clean, 1 findings (or failed checks), 2 usage or configuration
error, 3 target unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

from authfuzz.layout import SUITES
from authfuzz.targets import TargetsFileError, load_target

# Options that, given to pytest after --, override what this command checked up front.
_CONFIG_OPTIONS = ("--target", "--targets-file", "--defects")


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
    problem = None if _overridden(args.pytest_args) else configuration_error(args)
    if problem is not None:
        _remove_earlier_reports(Path(args.report_dir))
        print(f"authfuzz run: error: {problem}")
        return 2
    # Suites or test ids named after ``--`` narrow the run; otherwise every suite runs.
    narrowed = any(_names_tests(arg) for arg in args.pytest_args)
    pytest_args = [
        *([] if narrowed else [str(SUITES)]),
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
        if not any(a == "--dist" or a.startswith("--dist=") for a in args.pytest_args):
            # A few checks take far longer than the rest (the Schemathesis batches): a worker
            # that is done takes over another's queue instead of waiting at the end.
            pytest_args += ["--dist", "worksteal"]
    code = int(pytest.main(pytest_args + args.pytest_args))
    return {0: 0, 1: 1, 2: 2, 3: 3, 4: 2, 5: 2}.get(code, 1)


def configuration_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the targets file, the target or ``--defects``, in one line; or None.

    Checked before pytest starts, so that a bad configuration is one line and exit code 2
    rather than a message inside pytest's session banner. The plugin checks the same again
    (it also serves plain ``pytest suites`` runs); this is the same loader, so the two agree.
    """
    path = Path(args.targets_file or os.environ.get("AUTHFUZZ_TARGETS_FILE", "targets.toml"))
    try:
        target = load_target(path, args.target)
    except TargetsFileError as error:
        return str(error)
    if not args.defects:
        return None
    if target.start != "testbed":
        return (
            f'--defects needs a target with start = "testbed"; {target.name!r} is '
            f"{target.environment.value} at {target.base_url}"
        )
    return _defects_error(args.defects)


def _defects_error(value: str) -> str | None:
    """Whether the embedded testbed knows every defect switch named in ``value``.

    ``testbed`` is a package of this distribution, which pytest marks for assertion
    rewriting; imported before ``pytest.main`` it would earn a "cannot be rewritten" warning
    in the run's output. So it is imported for the check and forgotten again (the module is
    a table and a parser, without side effects); the plugin imports it afresh.
    """
    before = set(sys.modules)
    try:
        from testbed.defects import UnknownDefectError, parse_defects

        try:
            parse_defects(value)
        except UnknownDefectError as error:
            return str(error)
        return None
    finally:
        for name in set(sys.modules) - before:
            if name == "testbed" or name.startswith("testbed."):
                del sys.modules[name]


def _overridden(pytest_args: list[str]) -> bool:
    """Whether the arguments after -- set the target, the targets file or the defects."""
    return any(arg.split("=", 1)[0] in _CONFIG_OPTIONS for arg in pytest_args)


def _remove_earlier_reports(directory: Path) -> None:
    """What the plugin does at the start of a gate run: no earlier verdict stays behind.

    A run refused for its configuration writes no report, and the last run's reports must
    not pass for this one's (a CI artifact, code scanning).
    """
    from authfuzz.plugin import REPORT_FILES
    from authfuzz.poc.export import remove_exports

    for name in REPORT_FILES:
        (directory / name).unlink(missing_ok=True)
    remove_exports(directory / "pocs")


def _names_tests(arg: str) -> bool:
    """``suites/test_x.py`` or ``suites/test_x.py::test_y``: a suite pytest would collect (an
    option's value that happens to name a file elsewhere does not count)."""
    if arg.startswith("-"):
        return False
    path = Path(arg.split("::", 1)[0]).resolve()
    return path.exists() and (path == SUITES.resolve() or SUITES.resolve() in path.parents)
