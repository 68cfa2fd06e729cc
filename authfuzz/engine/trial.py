"""What a check hands the engine: trials, and for each send of one, its shot.

A ``Trial`` is one attempt a check wants judged: a negative credential against a write, a URL
case written as staff, a bulk-delete filter, a route cell, a PoC step, a Schemathesis case.
Each time the engine sends it (in a batch, in a half of one, alone to confirm it) it asks the
trial for a ``Shot``: the request aimed at the objects as they are now (a canary deleted by an
earlier attempt has been made again, with a new id), with what the request may change. The
engine knows nothing else about any kind of check.

What a shot may change is its ``Allowance``: nothing for a negative credential; the object it
writes for trusted staff. Every other change the read shows is unexplained, and breaks the
shot's ``invariant``. Some properties are seen in the answer alone (an identity probe that
shows an unpublished release, a 2xx to a negative write): the shot's ``AnswerCheck``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from authfuzz.client import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from authfuzz.workbench import Workbench

Key = tuple[str, int]  # (resource, pk)


@dataclass(frozen=True)
class Allowance:
    """The changes a shot may make. A delete also explains what the database cascades."""

    creates: frozenset[tuple[str, str]] = frozenset()  # (resource, slug)
    changes: frozenset[Key] = frozenset()  # any field of these objects
    deletes: frozenset[Key] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.creates or self.changes or self.deletes)


NOTHING = Allowance()


@dataclass(frozen=True)
class AnswerCheck:
    """A property of the answer alone. ``judge(response, aim_changed)`` gives (summary, evidence)
    of a violation, or None; ``aim_changed``: whether anything the shot may change did."""

    oracle: str  # the finding's oracle, e.g. "identity-probe"
    judge: Callable[[ApiResponse, bool], tuple[str, str] | None]


@dataclass(frozen=True)
class Shot:
    request: ApiRequest  # as sent, credential included: never shown unredacted
    invariant: str  # what an unexplained change breaks
    branch: str  # the finding's branch
    operation: str  # the finding's operation
    labels: tuple[str, ...] = ()
    session_of: str | None = None  # the principal whose session cookie the request carries
    allowed: Allowance = NOTHING
    # A positive control: every allowed effect must be seen, or the check is blind.
    required: bool = False
    answer: AnswerCheck | None = None
    # Place in a batch: lower goes first (a delete must not hide a later write's evidence).
    order: int = 0
    aim: frozenset[Key] = field(default=frozenset())  # what the request addresses, for evidence
    detail: str = ""  # appended to a finding's summary (a URL case's field and category)
    # What an allowed create made stays for the caller (a stateful chain's next step needs it);
    # by default the engine removes it once the batch is judged.
    keep: bool = False
    # The moment: requests sent right before this one (a valid or a failed request by the same
    # username), and one sent beside it, in flight at the same time. Not judged themselves:
    # they set the moment; the batch's read judges what the shot did in it.
    prelude: tuple[ApiRequest, ...] = ()
    beside: ApiRequest | None = None
    # The answer dimension: the request hangs up before its answer on purpose, so a lost answer
    # is what it expects; the read alone decides, and it is never sent twice for it.
    hangs_up: bool = False
    # Deletes an object custody could put back only as a copy (new id, new history, the
    # fields no API shows): sent after every other trial of its check, so that theirs are seen,
    # and replayed, on the object as it was.
    last: bool = False


class Trial(Protocol):
    """One attempt a check wants judged; ``key`` is unique within one ``Engine.run``."""

    @property
    def key(self) -> str: ...

    def shoot(self, bench: Workbench) -> Shot: ...


@dataclass(frozen=True)
class Alone:
    """Wraps a trial the engine must send in a batch of its own (a positive control, whose
    allowed effect would hide another trial's change to the same object)."""

    trial: Trial

    @property
    def key(self) -> str:
        return self.trial.key

    def shoot(self, bench: Workbench) -> Shot:
        return self.trial.shoot(bench)
