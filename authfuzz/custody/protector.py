"""Custody during a run: what a request destroyed of someone else's is put back at once.

On a vulnerable build the gate's own requests can destroy real data: the bulk-delete scope
check, sent as trusted staff, deleted every release file of a deployment with the unscoped
bulk delete. Two ways in, one way back:

- ``around``: the client asks for it around every request that ``guard`` says could reach
  beyond the run's own objects. It holds the run's exclusive lock (nothing else of the run is
  in flight), reads what the request could reach just before (free when this process knows
  it) and just after it, and puts back whatever of someone else's it deleted or changed,
  before the next check reads it;
- ``put_back``: the check engine asks for it, under the same lock, after a batch of trials
  changed what it may not: every object of someone else's goes back to how the run found it
  (``baseline``, the start of the run), what the batch created is removed.

Both act only on differences from what the object should be, so an object many processes saw
go is put back once. The run's own objects are left as they are: the bench makes them again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from authfuzz.client.guard import Reach
from authfuzz.custody.ledger import Ledger
from authfuzz.custody.lock import RunLock
from authfuzz.custody.reconcile import Reconciliation, reconcile
from authfuzz.not_checked import NotChecked
from authfuzz.state import ReadBackError, Reader
from authfuzz.world import World

Key = tuple[str, int]


@dataclass
class Snapshot:
    """What a guarded stretch of requests could reach, read before and after it."""

    before: World
    after: World | None = None  # None when it could not be read again
    restored: int = 0  # others' objects put back after it


@dataclass
class Protector:
    reader: Reader  # custody's own (``custody=True``)
    ledger: Ledger
    lock: RunLock = field(default_factory=RunLock)
    # How the run found the target (its start): what someone else's object goes back to.
    baseline: Callable[[], World | None] = lambda: None
    log: Reconciliation = field(default_factory=Reconciliation)
    guarded: int = 0  # requests it stood around
    # Resources an enclosing ``around`` already guards: a request inside it that reaches no
    # further is covered by that one snapshot (the engine sends risky batches this way).
    _open: frozenset[str] = field(default=frozenset(), repr=False)

    @contextmanager
    def around(self, reach: Reach) -> Iterator[Snapshot | None]:
        """Snapshot, yield, read again and put back. Inside an enclosing ``around`` that covers
        ``reach`` already, nothing more is read: yields None."""
        if set(reach.resources) <= self._open:
            yield None
            return
        with self.lock.exclusive():
            try:
                before = self.reader.world(reach.resources)
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
                    after = self.reader.world(reach.resources)
                    snapshot.after = after
                    start = self.baseline()
                    done = reconcile(
                        self.reader,
                        _as_found(before, start),
                        after,
                        self.ledger,
                        remove_ours=False,
                        start=start,
                    )
                    snapshot.restored = len(done.restored) + len(done.failed)
                    self.log.extend(done)
                except (ReadBackError, NotChecked) as error:
                    self.log.failed.append(
                        f"could not check what a risky request did ({reach.reason}): {error}"
                    )

    def put_back(self, before: World, created: Collection[Key]) -> Reconciliation:
        """After a batch that started at ``before``: someone else's objects as the run found
        them, and the objects in ``created`` (the batch made them) removed. Takes the exclusive
        lock; reads the target once, and once more only if it had to act."""
        with self.lock.exclusive():
            if self.lock.shared_with_others:
                self.reader.forget()
            now = self.reader.world()
            start = self.baseline()
            want = _as_found(before, start)
            removable = set(created)
            done = reconcile(
                self.reader,
                want,
                now,
                self.ledger,
                remove_ours=True,
                removable=lambda entry: (entry.resource, entry.pk) in removable,
                start=start,
            )
            self.log.extend(done)
            return done


def _as_found(before: World, start: World | None) -> World:
    """``before`` with someone else's objects as the run found them: what an object goes back
    to is never how an earlier read (perhaps older than another process's damage, or its
    repair) happened to see it."""
    if start is None:
        return before
    found = [entry for entry in start.objects() if entry.slug in before.table(entry.resource)]
    return before.with_entries(found)
