"""What each throttle bucket of a target has already spent, across runs: the plan's memory.

A throttle is a window (python.org: 3,000 v2 requests a day per user token, 600 v1 requests
an hour per identity), and a deploy is gated several times a day: planning every run against
the full limit lets the second run of the day start, spend what is left and strand its own
objects behind a 429. The journal keeps, per target and bucket, the counted requests of each
run with their time, and says what is left of the window now and when enough of it reopens.
A 429 the run saw corrects it: the bucket is spent until the ``Retry-After`` the server gave.

The windows are sliding, as DRF's and Tastypie's throttles count: a request counts until one
window after it was sent. One JSON file (under the user's cache directory, or
``$AUTHFUZZ_JOURNAL``, so CI can keep it between jobs with its cache); a file that is missing
or unreadable is a fresh start, said in one line, never a crash.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from authfuzz.throttles.rates import Rate

VERSION = 1
ENV = "AUTHFUZZ_JOURNAL"


def default_path() -> Path:
    """``$AUTHFUZZ_JOURNAL``, else ``$XDG_CACHE_HOME/authfuzz/spend.json`` (``~/.cache``)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "authfuzz" / "spend.json"


@dataclass(frozen=True)
class Spend:
    """``count`` counted requests in one bucket at ``at`` (epoch seconds)."""

    at: float
    count: int


@dataclass
class Journal:
    path: Path
    # (target, bucket label) -> spends, oldest first
    spends: dict[tuple[str, str], list[Spend]] = field(default_factory=dict)
    note: str = ""  # why the file was not read (a fresh start), for one line on the screen

    @classmethod
    def load(cls, path: Path) -> Journal:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            spends = {
                (str(entry["target"]), str(entry["bucket"])): [
                    Spend(float(at), int(count)) for at, count in entry["spends"]
                ]
                for entry in data["buckets"]
            }
        except (OSError, ValueError, KeyError, TypeError) as error:
            return cls(path, note=f"spend journal {path} unreadable ({error}): starting afresh")
        return cls(path, spends)

    def record(self, target: str, bucket: str, count: int, at: float) -> None:
        if count > 0:
            self.spends.setdefault((target, bucket), []).append(Spend(at, count))

    def exhausted(self, target: str, bucket: str, rate: Rate, until: float, now: float) -> None:
        """A 429 said the bucket is spent until ``until``: count it full from then back one
        window, so that exactly at ``until`` the window starts reopening."""
        spent = self.spent(target, bucket, rate, now)
        missing = rate.requests - spent
        if missing > 0:
            self.record(target, bucket, missing, until - rate.seconds)

    def spent(self, target: str, bucket: str, rate: Rate, now: float) -> int:
        """Counted requests still inside the window at ``now``."""
        return sum(
            s.count
            for s in self.spends.get((target, bucket), [])
            if now - rate.seconds < s.at <= now
        )

    def left(self, target: str, bucket: str, rate: Rate, now: float) -> int:
        return max(0, rate.requests - self.spent(target, bucket, rate, now))

    def reopens(self, target: str, bucket: str, rate: Rate, need: int, now: float) -> float:
        """When ``need`` requests will fit in the bucket (``now`` if they already do)."""
        inside = sorted(
            (s for s in self.spends.get((target, bucket), []) if now - rate.seconds < s.at <= now),
            key=lambda s: s.at,
        )
        left = rate.requests - sum(s.count for s in inside)
        if left >= need:
            return now
        for spend in inside:  # the oldest expire first
            left += spend.count
            if left >= need:
                return spend.at + rate.seconds
        return now + rate.seconds  # more than a whole window: never, within one

    def forget_before(self, now: float, longest: int = 86_400) -> None:
        """Drop spends older than the longest window: the file stays small."""
        for key in list(self.spends):
            kept = [s for s in self.spends[key] if s.at > now - longest]
            if kept:
                self.spends[key] = kept
            else:
                del self.spends[key]

    def save(self) -> None:
        """Written whole to a temporary file, then renamed: a crash never leaves half a file."""
        data = {
            "version": VERSION,
            "buckets": [
                {"target": target, "bucket": bucket, "spends": [[s.at, s.count] for s in spends]}
                for (target, bucket), spends in sorted(self.spends.items())
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".spend-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        os.replace(temporary, self.path)
