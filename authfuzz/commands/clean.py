"""``authfuzz clean``: finish a run's clean-up that could not finish (the target went away).

When a run against a shared target cannot read the target at its end (it became unreachable,
or the run was killed), its ledger is kept, with the digest taken at the start, and the end
screen names the directory. Once the target is back, this reads it, removes what the run
created and puts back what it changed, exactly as the run itself would have, and says what it
did. Exit codes: 0 the target is as the run found it, 1 something could not be undone, 2 usage
or configuration error, 3 the target is still unreachable.

    authfuzz clean --ledger /tmp/authfuzz-ledger-abc123 --target staging
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from authfuzz.client import Client, TargetUnreachableError
from authfuzz.commands.targeting import add_target_options
from authfuzz.custody.custodian import START_DIGEST, Custodian, custody_reader, fallback_routes
from authfuzz.custody.ledger import Ledger
from authfuzz.not_checked import NotChecked
from authfuzz.state import ReadBackError
from authfuzz.targets import TargetsFileError, resolve_target
from authfuzz.world import World

PROG = "authfuzz clean"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Finish the clean-up of a run whose target went away before its end.",
        epilog="exit codes: 0 target as found, 1 something could not be undone, "
        "2 usage/config error, 3 target unreachable",
    )
    parser.add_argument("--ledger", required=True, help="the directory the end screen named")
    add_target_options(parser, required=True)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    directory = Path(args.ledger)
    start = directory / START_DIGEST
    if not start.is_file():
        print(f"{PROG}: error: {directory} holds no run's ledger ({START_DIGEST} missing)")
        return 2
    try:
        target = resolve_target(args.target, args.targets_file)
    except TargetsFileError as error:
        print(f"{PROG}: error: {error}")
        return 2
    trusted = target.principals.trusted()
    if trusted is None or not trusted.token or target.base_url is None:
        print(f"{PROG}: error: target {target.name!r} needs a base_url and a staff token")
        return 2
    client = Client(target)
    try:
        primary = custody_reader(client, target.principals)
        custodian = Custodian(
            primary,
            Ledger(),
            directory,
            spare=fallback_routes(client, target.principals, primary),
        )
        custodian.start = World.load(start)
        client.ensure_reachable(custody=True)
        report = custodian.finish()
    except TargetUnreachableError as error:
        print(f"{PROG}: error: {error}")
        return 3
    except (ReadBackError, NotChecked) as error:
        print(f"{PROG}: error: {error}")
        return 1
    finally:
        client.close()
    print(f"{PROG}: target state: {report.line()}")
    for line in report.details():
        print(f"  {line}")
    for removed in report.removed:
        print(f"  removed   {removed}")
    if report.checked and not report.left:
        shutil.rmtree(directory, ignore_errors=True)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
