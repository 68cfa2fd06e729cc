"""A check that could not reach its verdict: neither a finding nor a pass.

A lost answer or a 503 that did not go away (a fault), a throttle that asks for a long wait,
the target's request budget, the run's time limit: each can stop a check before its read-back
has decided. A gate that counted such a check as passed would wave a deploy through on a bad
network day; one that counted it as failed would block deploys for nothing and be switched
off. So it is its own outcome, raised as ``NotChecked``.

It derives from ``BaseException``, as pytest's own outcomes do, so that nothing on the way up
can mistake it for something else: Hypothesis does not take it for a failing example (no
shrinking, no replay, no ``FlakyFailure``), Schemathesis does not file it as a failed check,
and no ``except Exception`` in a clean-up swallows it. The pytest plugin turns it into a skip
that names the cause and the reason, counts it, and fails the run: an unchecked cell is not a
clean one.
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """Why a check could not finish, as the end screen and ``findings.json`` group them."""

    FAULT = "fault"  # the network or the target's front end: resets, timeouts, 502/503/504
    THROTTLE = "throttle"  # a 429 whose Retry-After is longer than the gate waits
    BUDGET = "budget"  # the target's request budget (max_requests) is spent
    TIME = "time"  # the run's --max-seconds are up


class NotChecked(BaseException):
    """Raised where a check learns it cannot reach its verdict; ``reason`` says why."""

    def __init__(self, reason: str, cause: Cause) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause

    def __str__(self) -> str:
        return f"not checked ({self.cause.value}): {self.reason}"


class NotApplicableError(Exception):
    """This check does not apply to this target (production, ``destructive = false``, a
    principal it lacks); the message is the reason, shown as a skip. Unlike ``NotChecked`` it
    does not fail the run: the target's configuration chose it."""
