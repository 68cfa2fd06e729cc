"""The spend journal around one run: read before the plan, written after the run.

Kept apart from the plugin so the arithmetic is testable as plain data: which buckets a
target has, what each already spent in its window, the line that says when a refused run
would fit, and what a finished run adds (its counted requests, and the buckets a 429 closed).
An embedded testbed is started fresh for each run, so it has no history and no journal.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from authfuzz.targets import Target
from authfuzz.throttles.buckets import ANONYMOUS, GUEST, Bucket
from authfuzz.throttles.journal import Journal, default_path
from authfuzz.throttles.plan import Plan


def open_journal(target: Target, path: str | None) -> Journal | None:
    """The journal of a target that keeps its throttle history (not the embedded testbed)."""
    if target.start == "testbed" or target.throttles is None:
        return None
    return Journal.load(Path(path) if path else default_path())


def key(target: Target) -> str:
    """One target is its name at its address: two files naming one deployment share it."""
    return f"{target.name} {target.base_url}"


def buckets(target: Target) -> list[Bucket]:
    named = [Bucket(api, p.name) for api in ("v1", "v2") for p in target.principals]
    return [*named, Bucket("v1", GUEST), Bucket("v2", ANONYMOUS)]


def already_spent(journal: Journal, target: Target, now: float | None = None) -> dict[str, int]:
    """Counted requests per bucket label still inside its window."""
    assert target.throttles is not None
    at = time.time() if now is None else now
    spent = {}
    for bucket in buckets(target):
        rate = target.throttles.limit(bucket.throttle)
        n = journal.spent(key(target), bucket.label, rate, at)
        if n:
            spent[bucket.label] = n
    return spent


def when_it_fits(journal: Journal, target: Target, plan: Plan, now: float | None = None) -> str:
    """``; the window has room again at 2026-12-07 14:05 UTC`` for a plan that does not fit
    only because of earlier runs; empty if waiting would not help."""
    assert target.throttles is not None
    at = time.time() if now is None else now
    latest = at
    for line in plan.lines:
        if not line.over:
            continue
        if line.planned > line.limit:
            return ""  # does not fit even an empty window
        rate = target.throttles.limit(line.bucket.throttle)
        latest = max(
            latest, journal.reopens(key(target), line.bucket.label, rate, line.planned, at)
        )
    if latest <= at:
        return ""
    stamp = datetime.fromtimestamp(latest, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"; the window has room for it again at {stamp}"


def record_run(
    journal: Journal,
    target: Target,
    spent: dict[str, int],
    closed: dict[str, float],
    now: float | None = None,
) -> None:
    """Add what the run counted, and close what a 429 closed (seconds left), then save."""
    assert target.throttles is not None
    at = time.time() if now is None else now
    for label, n in spent.items():
        journal.record(key(target), label, n, at)
    for label, seconds in closed.items():
        rate = target.throttles.limit(Bucket.from_label(label).throttle)
        journal.exhausted(key(target), label, rate, until=at + seconds, now=at)
    journal.forget_before(at)
    journal.save()
