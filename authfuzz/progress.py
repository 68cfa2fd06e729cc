"""Progress for long runs: a status line every few seconds, and each new kind of finding at once.

A deep run or a rate-limited real target can take many minutes, and pytest's dots say
nothing about requests or findings. The controller calls ``Progress`` as test reports
arrive (no thread, no timer), so a line appears only between tests; the line says how
far the run is, what it has found and what it has spent, and a finding of a new
(invariant, branch) is announced when it arrives, so nobody waits for the end to learn the
gate has already failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from authfuzz.findings import Finding
from authfuzz.run_summary import OutcomeCounts, RequestTally

DEFAULT_INTERVAL = 10.0


@dataclass
class Progress:
    started: float
    interval: float = DEFAULT_INTERVAL  # seconds between status lines; 0 turns them off
    total: int | None = None  # tests collected, once known
    _last: float = field(default=0.0, repr=False)
    _announced: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._last = self.started

    def status(
        self, now: float, tests: OutcomeCounts, findings: int, requests: RequestTally
    ) -> str | None:
        """The status line if one is due, else None."""
        if self.interval <= 0 or now - self._last < self.interval:
            return None
        self._last = now
        return status_line(now - self.started, self.total, tests, findings, requests)

    def announce(self, finding: Finding) -> str | None:
        """A line for the first finding of each (invariant, branch); None for the rest."""
        key = (finding.invariant, finding.branch)
        if key in self._announced:
            return None
        self._announced.add(key)
        return (
            f"authfuzz: FINDING {finding.invariant} on branch {finding.branch} "
            f"({finding.operation}, {finding.oracle}): {finding.summary}"
        )


def status_line(
    elapsed: float, total: int | None, tests: OutcomeCounts, findings: int, requests: RequestTally
) -> str:
    done = f"{tests.done}/{total}" if total else str(tests.done)
    parts = [
        f"{done} tests",
        f"{findings} finding(s)" if findings else "no findings",
        f"{requests.sent:,} requests",
    ]
    if requests.budget_left is not None:
        parts.append(f"budget left {requests.budget_left:,}")
    parts.append(f"{elapsed:.0f} s")
    if total and total // 10 <= tests.done < total:  # too early, the guess is noise
        parts.append(f"about {elapsed / tests.done * (total - tests.done):.0f} s to go")
    return "authfuzz: " + " | ".join(parts)
