"""Around a request that could reach data that is not the run's: a snapshot, then put back.

On a vulnerable build the gate's own requests can destroy real data: the bulk-delete scope
check, sent as trusted staff, deleted every release file of a deployment with the unscoped
bulk delete. The client asks ``Protector.around`` for every request that ``guard`` says could
reach beyond the run's own objects: the resources it could reach are read just before it,
read again just after it, and whatever of someone else's it deleted or changed is put back
at once (``reconcile``), before the next check, and before the stored-URL sweep, reads them.
The run's own objects are left as the request left them: the check is about to read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from authfuzz.client.guard import Reach
from authfuzz.custody.digest import Digest
from authfuzz.custody.ledger import Ledger
from authfuzz.custody.reconcile import Reconciliation, reconcile
from authfuzz.not_checked import NotChecked
from authfuzz.state import ReadBackError, Reader


@dataclass
class Snapshot:
    """What a guarded stretch of requests could reach, read before and after it."""

    before: Digest
    after: Digest | None = None  # None when it could not be read again
    restored: int = 0  # others' objects put back after it


@dataclass
class Protector:
    reader: Reader  # custody's own (``custody=True``)
    ledger: Ledger
    log: Reconciliation = field(default_factory=Reconciliation)
    guarded: int = 0  # requests it stood around
    # Resources an enclosing ``around`` already guards: a request inside it that reaches no
    # further is covered by that one snapshot (the route surface sends its cells in batches).
    _open: frozenset[str] = field(default=frozenset(), repr=False)

    @contextmanager
    def around(self, reach: Reach) -> Iterator[Snapshot | None]:
        """Snapshot, yield, read again and put back. Inside an enclosing ``around`` that covers
        ``reach`` already, nothing more is read: yields None."""
        if set(reach.resources) <= self._open:
            yield None
            return
        try:
            before = Digest.read(self.reader, reach.resources)
        except NotChecked as error:
            raise NotChecked(
                f"{reach.reason}, and what it could reach could not be read first "
                f"({error.reason}), so it was not sent",
                error.cause,
            ) from None
        self.guarded += 1
        snapshot = Snapshot(before)
        enclosing, self._open = self._open, self._open | set(reach.resources)
        try:
            yield snapshot
        finally:
            self._open = enclosing
            try:
                after = Digest.read(self.reader, reach.resources)
                snapshot.after = after
                done = reconcile(self.reader, before, after, self.ledger, remove_ours=False)
                snapshot.restored = len(done.restored) + len(done.failed)
                self.log.extend(done)
            except (ReadBackError, NotChecked) as error:
                self.log.failed.append(
                    f"could not check what a risky request did ({reach.reason}): {error}"
                )
