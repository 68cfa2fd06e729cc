"""The invariants, one module each: what a violation is and how it is worded.

Pure functions over values (answers, changes): the check engine (``authfuzz.engine``) decides
which changes a batch of requests explains; each module here says what a leftover change, or an
answer, means for its invariant. ``Verdict`` is the outcome of one trial, as the suites settle it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from authfuzz.findings import Finding
from authfuzz.not_checked import Cause, NotChecked
from authfuzz.vocabulary import unanswered_cause


class Outcome(Enum):
    PASS = "pass"
    FINDING = "finding"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    finding: Finding | None = None
    reason: str = ""
    # For INCONCLUSIVE: set when a fault, throttle, budget or time stopped the check (the run
    # must not pass); None when the check does not apply here (a skip by design).
    cause: Cause | None = None

    @classmethod
    def passed(cls) -> Verdict:
        return cls(Outcome.PASS)

    @classmethod
    def found(cls, finding: Finding) -> Verdict:
        return cls(Outcome.FINDING, finding)

    @classmethod
    def inconclusive(cls, reason: str) -> Verdict:
        return cls(Outcome.INCONCLUSIVE, reason=reason)

    @classmethod
    def not_checked(cls, reason: str, cause: Cause) -> Verdict:
        return cls(Outcome.INCONCLUSIVE, reason=reason, cause=cause)

    def raise_not_checked(self) -> None:
        """For callers that end a check here: ``NotChecked`` if this verdict is one."""
        if self.outcome is Outcome.INCONCLUSIVE and self.cause is not None:
            raise NotChecked(self.reason, self.cause)


def unanswered(fault: str, status: int) -> Verdict:
    """The verdict of a trial whose request got no real answer and changed nothing visible."""
    return Verdict.not_checked(fault, unanswered_cause(status))
