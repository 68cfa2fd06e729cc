"""From "how it was" and "how it is" to the requests that put it back.

Given a world read before and one read after (a whole run, or one risky request):

- an object that is new and the run's (registered, or named as the harness names its own) is
  removed, release files first; a new object that is not the run's is left alone and reported:
  on a shared staging site somebody else may be working;
- an object that was there and is gone is recreated with every field it had, in dependency
  order (OS, release, release file), references pointed at the related objects' ids as they
  are now; it gets a new id, which is reported;
- an object whose fields changed gets the changed fields back (a release's ``is_latest``
  among them).

An object that already existed is never deleted, whatever its name. Everything goes through
custody's own reader (trusted staff, v2, ``custody=True``), and what cannot be done is
reported with the server's reason rather than raised: a clean-up reports, it does not stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from authfuzz.custody.ledger import Ledger
from authfuzz.not_checked import NotChecked
from authfuzz.state import ReadBackError, Reader
from authfuzz.vocabulary import RELATIONS, RESOURCES
from authfuzz.world import Entry, World, pk_from_uri


@dataclass
class Reconciliation:
    removed: list[str] = field(default_factory=list)  # the run's objects, removed
    restored: list[str] = field(default_factory=list)  # others' objects, put back (how)
    failed: list[str] = field(default_factory=list)  # what could not be done, and why
    foreign: list[str] = field(default_factory=list)  # new, not the run's: left alone

    @property
    def acted(self) -> bool:
        return bool(self.removed or self.restored or self.failed)

    def extend(self, other: Reconciliation) -> None:
        self.removed += other.removed
        self.restored += other.restored
        self.failed += other.failed
        self.foreign += other.foreign


def reconcile(
    reader: Reader,
    before: World,
    after: World,
    ledger: Ledger,
    *,
    remove_ours: bool,
    removable: Callable[[Entry], bool] | None = None,
    start: World | None = None,
) -> Reconciliation:
    """Put ``after`` back to ``before``; with ``remove_ours``, remove the run's new objects
    (only those ``removable`` accepts, when it is given).

    Without ``remove_ours`` (around one request) the run's own objects are neither removed
    nor restored: the check that made them is still looking at them. An object ``start`` (how
    the run found the target) has is never the run's, whatever the ledger says: a nested
    write names an existing object's slug, and the ledger registers it before it is sent.
    """

    def ours(entry: Entry) -> bool:
        if start is not None and entry.slug in start.table(entry.resource):
            return False
        return _ours(ledger, entry)

    result = Reconciliation()
    resources = [r for r in RESOURCES if r in before.entries or r in after.entries]
    for resource in reversed(resources):
        for slug, entry in after.table(resource).items():
            if slug in before.table(resource):
                continue
            if not ours(entry):
                result.foreign.append(entry.describe())
            elif remove_ours and (removable is None or removable(entry)):
                _attempt(
                    result, f"remove {entry.describe()}", lambda e=entry: _remove(reader, e, result)
                )
    ids = {r: {slug: e.pk for slug, e in after.table(r).items()} for r in resources}
    for resource in resources:
        missing = [
            entry
            for slug, entry in before.table(resource).items()
            if slug not in after.table(resource) and not ours(entry)
        ]
        # DRF refuses a second file for an (os, release) pair that has a download-button file
        # (release-api.md section 7, #7): the button file goes last.
        missing.sort(key=lambda e: bool(e.fields.get("download_button")))
        for entry in missing:
            _attempt(
                result,
                f"recreate {entry.describe()}",
                lambda e=entry: _recreate(reader, e, ids, result),
            )
        for slug, entry in before.table(resource).items():
            now = after.table(resource).get(slug)
            if now is None or now.fields == entry.fields or ours(entry):
                continue
            changed = {k: v for k, v in entry.fields.items() if now.fields.get(k) != v}
            _attempt(
                result,
                f"put back {entry.describe()}",
                lambda e=entry, n=now, c=changed: _put_back(reader, e, n.pk, c, ids, result),
            )
    return result


def _ours(ledger: Ledger, entry: Entry) -> bool:
    return ledger.owns(entry.resource, entry.pk, entry.slug, str(entry.fields.get("name", "")))


def _attempt(result: Reconciliation, what: str, action: Any) -> None:
    try:
        action()
    except (ReadBackError, NotChecked) as error:
        reason = error.reason if isinstance(error, NotChecked) else str(error)
        result.failed.append(f"could not {what}: {reason}")


def _remove(reader: Reader, entry: Entry, result: Reconciliation) -> None:
    if not reader.delete(entry.resource, entry.pk):
        raise ReadBackError("the server did not delete it")
    result.removed.append(entry.describe())


def _body(reader: Reader, entry: Entry, ids: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The entry's fields as a v2 body: references as URLs of the objects as they are now."""
    body = dict(entry.fields)
    if entry.resource == "release_file":
        for relation in RELATIONS:
            slug = body.get(relation)
            # Related objects read too: their ids as they are now; else they were not in reach
            # of the request, so their ids did not change.
            pk = ids[relation].get(str(slug)) if relation in ids else entry.refs.get(relation)
            if pk is None:
                raise ReadBackError(f"its {relation} {slug!r} does not exist any more")
            body[relation] = reader.url(relation, pk)
    return body


def _recreate(
    reader: Reader, entry: Entry, ids: dict[str, dict[str, int]], result: Reconciliation
) -> None:
    created = reader.create(entry.resource, _body(reader, entry, ids))
    pk = pk_from_uri(created["resource_uri"])
    ids.setdefault(entry.resource, {})[entry.slug] = pk
    result.restored.append(f"{entry.describe()} recreated with every field, new id {pk}")


def _put_back(
    reader: Reader,
    entry: Entry,
    pk: int,
    changed: dict[str, Any],
    ids: dict[str, dict[str, int]],
    result: Reconciliation,
) -> None:
    body = {k: v for k, v in _body(reader, entry, ids).items() if k in changed}
    reader.patch(entry.resource, pk, body)
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items()))
    result.restored.append(f"{entry.describe()} put back: {shown}")
