"""What each throttle bucket has spent in this process, and which ones said "stop".

A 429 whose ``Retry-After`` is longer than the gate waits closes its bucket until then: later
requests counted in the same bucket are not sent (they would only get 429 again, and spend
the target's patience); the client answers them itself, as not checked. So a throttle ends
the affected checks at once, never in a hang, never as a finding, never as clean.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from authfuzz.throttles.buckets import Bucket


@dataclass
class Tally:
    spent: Counter[str] = field(default_factory=Counter)  # bucket label -> counted requests
    sent: Counter[str] = field(default_factory=Counter)  # bucket label -> transmissions
    closed: dict[str, float] = field(default_factory=dict)  # bucket label -> until (monotonic)
    # "v2 admin: read-back" -> counted requests, for bench/economy.py's spend per purpose
    by_purpose: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, bucket: Bucket, transmissions: int, counted: bool, purpose: str = "") -> None:
        with self._lock:
            self.sent[bucket.label] += transmissions
            if counted:
                self.spent[bucket.label] += 1
                self.by_purpose[f"{bucket.label}: {purpose or 'other'}"] += 1

    def close(self, bucket: Bucket, until: float) -> None:
        with self._lock:
            self.closed[bucket.label] = max(until, self.closed.get(bucket.label, 0.0))

    def closed_until(self, bucket: Bucket, now: float) -> float | None:
        with self._lock:
            until = self.closed.get(bucket.label)
            return until if until is not None and until > now else None

    def spent_in(self, bucket: Bucket) -> int:
        with self._lock:
            return self.spent[bucket.label]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.spent)

    def purposes(self) -> dict[str, int]:
        with self._lock:
            return dict(self.by_purpose)
