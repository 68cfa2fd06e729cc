"""A target's request budget and rate limit, shared by everything one process sends.

Hand-written rather than taken from a rate-limiting library: both are a counter or a clock
behind a lock, and each needs to count the re-transmissions urllib3 makes on its own, which a
library's decorator around a call could not see.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from authfuzz.not_checked import Cause, NotChecked


class BudgetExhaustedError(NotChecked):
    """The target's request budget is spent: the checks still to come are not checked."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the target's request budget of {limit} is spent", Cause.BUDGET)


@dataclass
class RequestBudget:
    limit: int | None
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                raise BudgetExhaustedError(self.limit)
            self.used += 1

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.used


@dataclass
class RateLimiter:
    max_rps: float | None
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self) -> None:
        if not self.max_rps:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + 1.0 / self.max_rps
        if delay > 0:
            time.sleep(delay)


@dataclass(frozen=True)
class Deadline:
    """The run's ``--max-seconds``: after ``at`` (wall clock, shared by every process) nothing
    more is sent for a check, and what is left is not checked (custody's own requests still go:
    what the run created must still be removed)."""

    at: float
    reason: str

    def check(self) -> None:
        if time.time() > self.at:
            raise NotChecked(self.reason, Cause.TIME)
