"""``authfuzz run``: the gate, as one command that wraps ``pytest suites``.

Exit codes: the run's verdict (``authfuzz.verdict``): 0 PASS, 1 FAIL, 2 REFUSED (usage or
configuration), 3 UNREACHABLE, 4 NOT CLEAN, 5 INCOMPLETE, 6 ERROR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from authfuzz.layout import SUITES
from authfuzz.plugin import options
from authfuzz.secrecy import scrub_unknown_secrets
from authfuzz.signals import SignalWatch
from authfuzz.targets import TargetsFileError, resolve_target
from authfuzz.verdict import DecidedExit, Ending, Verdict

# Options that, given to pytest after --, override what this command checked up front.
_CONFIG_OPTIONS = ("--target", "--targets-file", "--defects")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authfuzz run",
        description="Run the security gate against a target and write the reports.",
        epilog="exit codes: 0 clean, 1 findings, 2 usage/config error, 3 target unreachable. "
        "Arguments after -- go to pytest.",
    )
    options.add_to_argparse(parser)
    parser.add_argument("--profile", choices=("ci", "dev", "deep"), help="Hypothesis profile")
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers (e.g. 2 or auto)")
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
        _early_reports(args, Ending(Verdict.REFUSED, problem))
        print(f"authfuzz run: error: {problem}")
        return Verdict.REFUSED.exit_code
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
        *options.forward(args, skip=("--target", "--report-dir")),
    ]
    if args.profile:
        pytest_args += ["--hypothesis-profile", args.profile]
    if args.workers:
        pytest_args += ["-n", args.workers]
        if not any(a == "--dist" or a.startswith("--dist=") for a in args.pytest_args):
            # A few checks take far longer than the rest (the Schemathesis batches): a worker
            # that is done takes over another's queue instead of waiting at the end.
            pytest_args += ["--dist", "worksteal"]
    decided = DecidedExit()
    signals = SignalWatch()  # SIGTERM while pytest starts up ends like Ctrl-C, reports written
    signals.install()
    try:
        code = int(pytest.main(pytest_args + args.pytest_args, plugins=[decided]))
    except KeyboardInterrupt:  # before pytest could catch it
        code = int(pytest.ExitCode.INTERRUPTED)
    except Exception as error:
        if decided.code is None:
            raise
        return _crashed_after_deciding(decided.code, error)
    finally:
        signals.restore()
    if decided.code is not None:
        return decided.code
    # pytest ended before the plugin decided: the run never reached its tests.
    ending = _undecided(code, signals.interrupted_by())
    if ending.verdict is not Verdict.PASS:
        _early_reports(args, ending, _junit_path(args.pytest_args))
        print(ending.headline())
    return ending.exit_code


def _junit_path(pytest_args: list[str]) -> Path | None:
    """The JUnit file asked for after ``--`` (``--junitxml=F``, ``--junitxml F``), if any."""
    for at, arg in enumerate(pytest_args):
        if arg.startswith(("--junitxml=", "--junit-xml=")):
            return Path(arg.split("=", 1)[1])
        if arg in ("--junitxml", "--junit-xml") and at + 1 < len(pytest_args):
            return Path(pytest_args[at + 1])
    return None


def _crashed_after_deciding(code: int, error: Exception) -> int:
    """pytest failed after the gate had decided and written its reports.

    Seen once: pytest's own Ctrl-C report raised on a frame without a line number, after the
    run had ended INCOMPLETE (the plugin's ``pytest_keyboard_interrupt`` now leaves such frames
    out; this stays for whatever else may fail that late). A verdict that is not a pass stands,
    since the reports already say it; a pass does not, since a crash is never a clean run.
    """
    print(
        scrub_unknown_secrets(
            f"authfuzz run: pytest failed after the verdict: {type(error).__name__}: {error}"
        )
    )
    return Verdict.ERROR.exit_code if code == Verdict.PASS.exit_code else code


def _undecided(code: int, signal_name: str) -> Ending:
    """pytest's own exit code, when the gate's plugin ended before deciding one."""
    if code == pytest.ExitCode.OK:
        return Ending(Verdict.PASS)
    if code == pytest.ExitCode.INTERRUPTED:
        return Ending(Verdict.INCOMPLETE, f"interrupted ({signal_name}) before the first test")
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return Ending(Verdict.REFUSED, "pytest refused the arguments or collected no test")
    return Ending(Verdict.ERROR, f"pytest ended with its internal error (exit code {code})")


def configuration_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the targets file, the target or ``--defects``, in one line; or None.

    Checked before pytest starts, so that a bad configuration is one line and exit code 2
    rather than a message inside pytest's session banner. The plugin checks the same again
    (it also serves plain ``pytest suites`` runs); this is the same loader, so the two agree.
    """
    try:
        resolve_target(args.target, args.targets_file, defects=args.defects)
    except TargetsFileError as error:
        return str(error)
    return _defects_error(args.defects) if args.defects else None


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


def _early_reports(args: argparse.Namespace, ending: Ending, junit: Path | None = None) -> None:
    """A run that ended before its first test still leaves this run's verdict (REFUSED,
    INCOMPLETE..., and why) in every report, never the previous run's."""
    from authfuzz.reports.writer import RunRecord, remove_reports, write_reports
    from authfuzz.run_summary import OutcomeCounts, RequestTally, RunSummary

    directory = Path(args.report_dir)
    remove_reports(directory)
    summary = RunSummary(
        target=args.target,
        environment="unknown",
        profile=args.profile or "default",
        workers=1,
        tests=OutcomeCounts(),
        findings=[],
        requests=RequestTally(),
        seconds=0.0,
        early=ending,
    )
    if junit is not None:  # pytest did not get to write it (or it is a stale one)
        from authfuzz.reports.junit_report import write_empty

        write_empty(junit)
    write_reports(directory, RunRecord(summary), junit)


def _names_tests(arg: str) -> bool:
    """``suites/test_x.py`` or ``suites/test_x.py::test_y``: a suite pytest would collect (an
    option's value that happens to name a file elsewhere does not count)."""
    if arg.startswith("-"):
        return False
    path = Path(arg.split("::", 1)[0]).resolve()
    return path.exists() and (path == SUITES.resolve() or SUITES.resolve() in path.parents)
