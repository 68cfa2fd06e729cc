"""What a target holds: every field of every OS, release and release file, as one value.

The ground truth of every verdict and of "unchanged". Read by the trusted principal through v2
(``state.Reader.world``), it is compared as a whole: by the check engine before and after each
batch of trials, and by custody at the start and the end of a run. A value with no I/O, so the
judging that compares two of them stays pure.

Objects are keyed by slug (unique per resource in both APIs), and a release file's ``os`` and
``release`` are written as the related objects' slugs, so a world read after an object was
recreated with a new id still compares equal when every field is back. Ids are kept beside, to
say which ids changed and to address objects when putting them back.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authfuzz.vocabulary import RELATIONS, RESOURCES

Fields = dict[str, Any]


def pk_from_uri(uri: str) -> int:
    return int(uri.rstrip("/").rsplit("/", 1)[-1])


@dataclass(frozen=True)
class Entry:
    resource: str
    slug: str
    pk: int
    fields: Fields  # every field but resource_uri; relations as slugs when the world has them
    refs: dict[str, int] = field(default_factory=dict)  # relation -> the related object's id

    def describe(self) -> str:
        return f"{self.resource} {self.slug!r} (id {self.pk})"


def _key(resource: str, slug: str, pk: int) -> str:
    return slug or f"(empty slug, id {pk})"


@dataclass(frozen=True)
class World:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # resource -> slug -> entry

    @classmethod
    def from_lists(cls, raw: Mapping[str, Iterable[Mapping[str, Any]]]) -> World:
        """The world of the v2 list answers ``raw`` (resource -> objects)."""
        lists = {resource: list(objects) for resource, objects in raw.items()}
        slugs_by_uri = {
            (resource, pk_from_uri(obj["resource_uri"])): str(obj.get("slug", ""))
            for resource, objects in lists.items()
            for obj in objects
        }
        entries: dict[str, dict[str, Entry]] = {}
        for resource, objects in lists.items():
            table = entries.setdefault(resource, {})
            for obj in objects:
                pk = pk_from_uri(obj["resource_uri"])
                fields = {k: v for k, v in obj.items() if k != "resource_uri"}
                refs: dict[str, int] = {}
                for relation in RELATIONS if resource == "release_file" else ():
                    ref = fields.get(relation)
                    if isinstance(ref, str) and ref:
                        refs[relation] = pk_from_uri(ref)
                        key = (relation, refs[relation])
                        fields[relation] = slugs_by_uri.get(key, f"id {key[1]}")
                slug = str(fields.get("slug", ""))
                table[_key(resource, slug, pk)] = Entry(resource, slug, pk, fields, refs)
        return cls(entries)

    def save(self, path: Path) -> None:
        """Keep the world beside the run's ledger (for ``authfuzz clean`` and the workers)."""
        data = {
            resource: [dataclasses.asdict(entry) for entry in table.values()]
            for resource, table in self.entries.items()
        }
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> World:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {
            resource: {
                _key(resource, str(raw["slug"]), int(raw["pk"])): Entry(**raw) for raw in rows
            }
            for resource, rows in data.items()
        }
        return cls(entries)

    def resources(self) -> tuple[str, ...]:
        return tuple(r for r in RESOURCES if r in self.entries)

    def table(self, resource: str) -> dict[str, Entry]:
        return self.entries.get(resource, {})

    def objects(self) -> Iterator[Entry]:
        for resource in RESOURCES:
            yield from self.table(resource).values()

    def by_pk(self, resource: str, pk: int) -> Entry | None:
        return next((e for e in self.table(resource).values() if e.pk == pk), None)

    def count(self) -> int:
        return sum(len(table) for table in self.entries.values())

    def pks(self, resource: str) -> frozenset[int]:
        return frozenset(entry.pk for entry in self.table(resource).values())

    def only(self, resources: Iterable[str]) -> World:
        """The part of this world that covers ``resources``."""
        return World({r: self.entries[r] for r in resources if r in self.entries})

    def with_entries(self, replaced: Iterable[Entry]) -> World:
        """This world with ``replaced`` standing for the entries of the same slug."""
        entries = {resource: dict(table) for resource, table in self.entries.items()}
        for entry in replaced:
            entries.setdefault(entry.resource, {})[_key(entry.resource, entry.slug, entry.pk)] = (
                entry
            )
        return World(entries)

    def with_object(self, resource: str, obj: Mapping[str, Any]) -> World:
        """This world after ``obj`` (a v2 object, as a write answers it) was created or written."""
        pk = pk_from_uri(str(obj["resource_uri"]))
        fields = {k: v for k, v in obj.items() if k != "resource_uri"}
        refs: dict[str, int] = {}
        for relation in RELATIONS if resource == "release_file" else ():
            ref = fields.get(relation)
            if isinstance(ref, str) and ref:
                refs[relation] = pk_from_uri(ref)
                related = self.by_pk(relation, refs[relation])
                fields[relation] = related.slug if related else f"id {refs[relation]}"
        slug = str(fields.get("slug", ""))
        entries = {
            r: {k: e for k, e in t.items() if r != resource or e.pk != pk}
            for r, t in self.entries.items()
        }
        entries.setdefault(resource, {})[_key(resource, slug, pk)] = Entry(
            resource, slug, pk, fields, refs
        )
        return World(entries)

    def without(self, resource: str, pk: int) -> World:
        """This world after the object was deleted, with what the database cascades to it."""
        entries = {r: dict(t) for r, t in self.entries.items()}
        gone = entries.get(resource, {})
        for key in [k for k, e in gone.items() if e.pk == pk]:
            del gone[key]
        if resource in RELATIONS and "release_file" in entries:
            files = entries["release_file"]
            for key in [k for k, e in files.items() if e.refs.get(resource) == pk]:
                del files[key]
        return World(entries)
