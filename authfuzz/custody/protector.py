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
class Protector:
    reader: Reader  # custody's own (``custody=True``)
    ledger: Ledger
    log: Reconciliation = field(default_factory=Reconciliation)
    guarded: int = 0  # requests it stood around

    @contextmanager
    def around(self, reach: Reach) -> Iterator[None]:
        try:
            before = Digest.read(self.reader, reach.resources)
        except NotChecked as error:
            raise NotChecked(
                f"{reach.reason}, and what it could reach could not be read first "
                f"({error.reason}), so it was not sent",
                error.cause,
            ) from None
        self.guarded += 1
        try:
            yield
        finally:
            try:
                after = Digest.read(self.reader, reach.resources)
                self.log.extend(
                    reconcile(self.reader, before, after, self.ledger, remove_ours=False)
                )
            except (ReadBackError, NotChecked) as error:
                self.log.failed.append(
                    f"could not check what a risky request did ({reach.reason}): {error}"
                )
