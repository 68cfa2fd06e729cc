"""Why a request was sent: the attempt itself, or one of the requests that prove its verdict.

A throttled target's budget is spent mostly on the proof (read-backs, canaries, put-backs),
not on the attempts; ``bench/economy.py`` shows the spend per purpose so that a change which
makes the gate dearer shows where. The tag is a stack on the client: the innermost purpose
wins, except that reads made while setting up or cleaning up belong to that work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum


class Purpose(Enum):
    ATTEMPT = "attempt"  # the request a check is about
    CONTROL = "positive control"  # a valid staff write that proves the gate can see a write
    PROBE = "identity probe"  # a read whose answer shows who the server took the caller for
    READ_BACK = "read-back"  # state read to judge an attempt
    CANARY = "canary set-up"  # objects created for checks to aim at
    PUT_BACK = "put-back"  # a canary set back as it was after a staff write changed it
    CLEAN_UP = "clean-up"  # what a check made, removed
    SETUP = "session set-up"  # logins, look-ups of a draft release and the like
    CUSTODY = "custody"  # the run's own state digest and restorations
    OTHER = "other"


# Work whose own reads are part of that work, not a read-back of an attempt.
_ABSORBS_READS = frozenset(
    {Purpose.CANARY, Purpose.PUT_BACK, Purpose.CLEAN_UP, Purpose.SETUP, Purpose.CUSTODY}
)


@dataclass
class PurposeStack:
    _stack: list[Purpose] = field(default_factory=list)

    @property
    def current(self) -> Purpose:
        return self._stack[-1] if self._stack else Purpose.OTHER

    @contextlib.contextmanager
    def of(self, purpose: Purpose) -> Iterator[None]:
        self._stack.append(purpose)
        try:
            yield
        finally:
            self._stack.pop()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A read-back, unless it is part of set-up or clean-up work already under way."""
        if self._stack and self._stack[-1] in _ABSORBS_READS:
            yield
            return
        with self.of(Purpose.READ_BACK):
            yield
