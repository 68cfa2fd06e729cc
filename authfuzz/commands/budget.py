"""``authfuzz budget``: what each throttle bucket of a target has left, from the spend journal.

Before gating again (the third deploy of the day, a fix re-checked), the question is whether
the run fits: this prints, per bucket, what earlier runs spent inside the window, what is
left, and when the window is whole again. The run itself plans against the same figures.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from authfuzz.commands.targeting import add_target_options
from authfuzz.targets import Target, TargetsFileError, resolve_target
from authfuzz.throttles import spending
from authfuzz.throttles.journal import Journal, default_path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="authfuzz budget", description=__doc__.splitlines()[0])
    add_target_options(parser, required=True)
    parser.add_argument("--spend-journal", help="journal file (default: $AUTHFUZZ_JOURNAL or "
                        "~/.cache/authfuzz/spend.json)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        target = resolve_target(args.target, args.targets_file)
    except TargetsFileError as error:
        print(f"authfuzz budget: error: {error}")
        return 2
    if target.throttles is None:
        print(f"authfuzz budget: target {target.name!r} has no throttles (throttles = false)")
        return 0
    if target.start == "testbed":
        print(
            f"authfuzz budget: target {target.name!r} is an embedded testbed, started fresh "
            "for each run: every run has its whole window"
        )
        return 0
    journal = Journal.load(Path(args.spend_journal) if args.spend_journal else default_path())
    for line in render(journal, target, time.time()):
        print(line)
    return 0


def render(journal: Journal, target: Target, now: float) -> list[str]:
    assert target.throttles is not None
    lines = [f"authfuzz budget: target {target.name} at {target.base_url} ({journal.path})"]
    if journal.note:
        lines.append(f"  {journal.note}")
    for bucket in spending.buckets(target):
        rate = target.throttles.limit(bucket.throttle)
        spent = journal.spent(spending.key(target), bucket.label, rate, now)
        left = rate.requests - spent
        text = f"  {bucket.label:<16} {left:>6,} left of {rate.requests:,}/{rate.per}"
        if spent:
            whole = journal.reopens(spending.key(target), bucket.label, rate, rate.requests, now)
            stamp = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%d %H:%M UTC")
            text += f" ({spent:,} spent by earlier runs; whole again at {stamp})"
        lines.append(text)
    return lines
