"""What differs between two worlds, object by object: the raw material of every verdict.

Pure: two ``World`` values in, a list of ``Change`` out. Objects are matched by (resource, id),
so a write that renames a slug is one change, not a delete and a create. ``ignore`` leaves out
objects that are not this process's to judge: those another process of the same run made and
is working on (it judges its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from authfuzz.url_policy import URL_FIELDS, Violation, violations
from authfuzz.vocabulary import RESOURCES
from authfuzz.world import Entry, World

CREATED, DELETED, CHANGED = "created", "deleted", "changed"


@dataclass(frozen=True)
class Change:
    kind: str  # CREATED, DELETED or CHANGED
    before: Entry | None
    after: Entry | None

    @property
    def entry(self) -> Entry:
        entry = self.after or self.before
        assert entry is not None
        return entry

    @property
    def resource(self) -> str:
        return self.entry.resource

    @property
    def pk(self) -> int:
        return self.entry.pk

    @property
    def key(self) -> tuple[str, int]:
        return (self.resource, self.pk)

    def fields(self) -> tuple[str, ...]:
        """The fields that differ (every field of a created or deleted object)."""
        was = self.before.fields if self.before else {}
        now = self.after.fields if self.after else {}
        return tuple(sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k)))

    def describe(self) -> str:
        if self.kind == CHANGED:
            return f"{self.entry.describe()} changed: {', '.join(self.fields())}"
        return f"{self.entry.describe()} {self.kind}"


def changes(
    before: World, after: World, ignore: Callable[[Entry], bool] | None = None
) -> list[Change]:
    """Every object created, deleted or changed from ``before`` to ``after``."""
    skip = ignore or (lambda entry: False)
    out: list[Change] = []
    for resource in RESOURCES:
        was = {e.pk: e for e in before.table(resource).values()}
        now = {e.pk: e for e in after.table(resource).values()}
        for pk, entry in was.items():
            other = now.get(pk)
            if other is None:
                change = Change(DELETED, entry, None)
            elif other.fields != entry.fields:
                change = Change(CHANGED, entry, other)
            else:
                continue
            if not (skip(entry) or (other is not None and skip(other))):
                out.append(change)
        out += [Change(CREATED, None, e) for pk, e in now.items() if pk not in was and not skip(e)]
    return out


def new_violations(change: Change, url_prefix: str) -> list[Violation]:
    """The URL policy violations a release file has after ``change`` that it did not have."""
    if change.resource != "release_file" or change.after is None:
        return []
    if change.before is not None and not any(
        change.before.fields.get(name) != change.after.fields.get(name) for name in URL_FIELDS
    ):
        return []
    old = {(v.field, repr(v.value), v.rule) for v in _violations(change.before, url_prefix)}
    return [
        v
        for v in _violations(change.after, url_prefix)
        if (v.field, repr(v.value), v.rule) not in old
    ]


def _violations(entry: Entry | None, url_prefix: str) -> list[Violation]:
    if entry is None:
        return []
    return violations({name: entry.fields.get(name, "") for name in URL_FIELDS}, url_prefix)
