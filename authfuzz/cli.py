"""The ``authfuzz`` command: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from authfuzz import __version__
from authfuzz.secrecy import scrub_unknown_secrets


def _demo(argv: list[str]) -> int:
    from authfuzz.demo import main

    return main(argv)


def _testbed(argv: list[str]) -> int:
    from testbed.serve import main

    return main(argv)


def _run(argv: list[str]) -> int:
    from authfuzz.commands.run import main

    return main(argv)


def _clean(argv: list[str]) -> int:
    from authfuzz.commands.clean import main

    return main(argv)


def _repro(argv: list[str]) -> int:
    from authfuzz.commands.repro import main

    return main(argv)


def _budget(argv: list[str]) -> int:
    from authfuzz.commands.budget import main

    return main(argv)


def _export_auth(argv: list[str]) -> int:
    from authfuzz.commands.export_auth import main

    return main(argv)


def _explain(argv: list[str]) -> int:
    from authfuzz.commands.explain import main

    return main(argv)


COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "demo": (
        "run the gate against the testbed clean and with the Feb-2026 bug, side by side",
        _demo,
    ),
    "run": ("run the security gate (pytest suites) against a target", _run),
    "repro": ("run PoC files against a target: VULNERABLE or FIXED per step", _repro),
    "testbed": ("run the local replica of python.org's API in the foreground", _testbed),
    "clean": ("finish the clean-up of a run whose target went away before its end", _clean),
    "budget": ("what each throttle bucket of a target has left today, from earlier runs", _budget),
    "explain": ("what a finding code (AFW11, ...) means and how to fix it", _explain),
    "export-auth": (
        "the target's principals as a WFC auth file, for other API fuzzers",
        _export_auth,
    ),
}


WIDTH = max(len(name) for name in COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="authfuzz",
        description="Security regression gate and auth fuzzer for python.org's release API.",
        epilog="commands:\n"
        + "\n".join(f"  {name:<{WIDTH}}  {summary}" for name, (summary, _) in COMMANDS.items())
        + "\n\nRun 'authfuzz COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"authfuzz {__version__}")
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="COMMAND")
    if not args:  # a usage error, not a successful run: help on stderr, exit 2
        parser.print_help(sys.stderr)
        return 2
    if args[0].startswith("-"):
        parser.parse_args(args)  # --help and --version exit 0 here; anything else exits 2
        return 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        parser.error(f"unknown command {command!r} (choose from {', '.join(sorted(COMMANDS))})")
    try:
        return COMMANDS[command][1](rest)
    except BrokenPipeError:
        # The reader went away (``authfuzz demo | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"authfuzz {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        print(internal_error(command, error), file=sys.stderr)
        return 1


def internal_error(command: str, error: Exception) -> str:
    """A bug's report in one line, with anything that could be a secret masked.

    The command's own target (and so its secrets) is not known here, so every long token is
    masked; ``AUTHFUZZ_DEBUG=1`` adds the traceback, masked the same way.
    """
    line = f"authfuzz {command}: internal error: {type(error).__name__}: {error}"
    if os.environ.get("AUTHFUZZ_DEBUG"):
        return scrub_unknown_secrets(line + "\n" + "".join(traceback.format_exception(error)))
    # The hint is ours and holds no secret; scrubbed with the rest, its long name was masked.
    return scrub_unknown_secrets(line) + " (AUTHFUZZ_DEBUG=1 shows the traceback)"


if __name__ == "__main__":
    sys.exit(main())
