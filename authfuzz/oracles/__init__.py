"""Properties judged on one exercised request: each module checks one invariant one way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from authfuzz.findings import Finding


class Outcome(Enum):
    PASS = "pass"
    FINDING = "finding"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    finding: Finding | None = None
    reason: str = ""

    @classmethod
    def passed(cls) -> Verdict:
        return cls(Outcome.PASS)

    @classmethod
    def inconclusive(cls, reason: str) -> Verdict:
        return cls(Outcome.INCONCLUSIVE, reason=reason)
