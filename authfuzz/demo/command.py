"""The ``authfuzz demo`` command: its options, their validation, and ``main`` tying it together.

``main`` only sequences the other modules: check the command line and the checkout, run the
two gates (``gates``), read what they left (``results``), print it (``display``), and turn
every way of ending (verdict, usage error, Ctrl-C, SIGTERM, time limit) into its exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authfuzz.demo.display import Progress, not_run, reports, reproduction, side_by_side
from authfuzz.demo.gates import Terminated, run_gates, sigterm_as_exception
from authfuzz.demo.results import CLEAN, read_side, verdict
from authfuzz.layout import REPO, SUITES, TARGETS_FILE
from authfuzz.redaction import Redactor

PROG = "authfuzz demo"
DEFAULT_DEFECT = "guest-fallthrough"


class UsageError(Exception):
    """A problem with the command line or the checkout; one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Start the embedded testbed twice, clean and with a historical defect "
        "(by default guest-fallthrough, the Feb-2026 bypass), run the full gate against both at "
        "once, and show the two verdicts side by side with the reproduction of what was found.",
        epilog="exit codes: 0 clean passed and the defect was caught, 1 the demonstration "
        "failed (a finding on clean, or the defect missed), 2 usage or configuration error, "
        "3 a gate could not run (testbed start-up, time limit).",
    )
    parser.add_argument(
        "--defect",
        default=DEFAULT_DEFECT,
        help=f"the defect switch to demonstrate (default: {DEFAULT_DEFECT}; "
        "'authfuzz testbed --help' lists them)",
    )
    parser.add_argument(
        "--report-dir",
        default="authfuzz-demo",
        help="where both runs' reports go, in clean/ and DEFECT/ (default: authfuzz-demo)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="stop both gates after this many seconds (default: 300)",
    )
    return parser


def _checked(args: argparse.Namespace) -> Redactor:
    """Validate the command line and the checkout; the redactor for the testbed's secrets."""
    from testbed.defects import DEFECTS, UnknownDefectError, parse_defects

    try:
        names = parse_defects(args.defect)
    except UnknownDefectError as error:
        raise UsageError(str(error)) from None
    if len(names) != 1:
        valid = ", ".join(d.name for d in DEFECTS)
        raise UsageError(f"--defect takes exactly one switch; valid defects are: {valid}")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    targets = TARGETS_FILE
    if not targets.is_file() or not SUITES.is_dir():
        raise UsageError(
            f"{REPO} has no targets.toml or suites/: the demo runs from a checkout of authfuzz"
        )
    from authfuzz.targets import TargetsFileError, load_target

    try:
        principals = load_target(targets, "testbed").principals
    except TargetsFileError as error:
        raise UsageError(str(error)) from None
    return Redactor.for_principals(principals)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        redactor = _checked(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    defect: str = args.defect.strip()
    shown_root = Path(args.report_dir)
    root = shown_root.resolve()
    sides: list[tuple[str, Path, Path, str | None]] = [
        (CLEAN, root / CLEAN, shown_root / CLEAN, None),
        (defect, root / defect, shown_root / defect, defect),
    ]
    tty = sys.stdout.isatty()
    print(
        f"{PROG}: two testbeds, clean and with {defect}; the full gate against each, "
        "at once (about a minute)",
        flush=True,
    )
    progress = Progress(sys.stdout, tty)
    try:
        with sigterm_as_exception():
            gates, finished = run_gates(sides, args.timeout, progress)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; both gates and their testbeds stopped", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{PROG}: terminated; both gates and their testbeds stopped", file=sys.stderr)
        return 143
    except OSError as error:
        print(f"{PROG}: error: cannot start the gate: {error}", file=sys.stderr)
        return 3
    progress.finish()
    if not finished:
        print(
            f"{PROG}: the gates did not finish within {args.timeout:.0f} s (--timeout); both stopped "
            f"(logs: {shown_root / CLEAN / 'gate.log'}, {shown_root / defect / 'gate.log'})"
        )
        return 3

    results = [
        read_side(g.name, g.directory, g.shown, g.returncode, g.seconds, redactor) for g in gates
    ]
    clean, broken = results
    code, closing = verdict(clean, broken)
    print()
    print(side_by_side(clean, broken))
    for side in results:
        if not side.ran:
            print()
            print("\n".join(not_run(side)))
    cwd_is_repo = Path.cwd().resolve() == REPO
    hint = "" if cwd_is_repo else f" --targets-file {TARGETS_FILE}"
    for side, gate in zip(results, gates, strict=True):
        lines = reproduction(side, gate.directory, redactor, hint) if side.ran else []
        if lines and (not side.is_clean or code == 1):
            print()
            print("\n".join(lines))
    print()
    print("\n".join(reports(results, [gate.directory for gate in gates])))
    print()
    print(closing)
    return code
