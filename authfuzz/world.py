"""What a target holds, read by the trusted principal: the ground truth of "unchanged".

Objects are keyed by slug (unique per resource in both APIs), and a release file's ``os`` and
``release`` are written as the related objects' slugs, so a digest taken after an object was
recreated with a new id still compares equal when every field is back. Ids are kept beside,
to say which ids changed and to address objects when putting them back.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authfuzz.state import Reader, pk_from_uri

RESOURCES = ("os", "release", "release_file")  # in the order they must be recreated
RELATIONS = ("os", "release")  # a release file's references
# What else a delete of each resource takes with it (the database cascades).
CASCADES: dict[str, tuple[str, ...]] = {
    "os": ("os", "release_file"),
    "release": ("release", "release_file"),
    "release_file": ("release_file",),
}

Fields = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    resource: str
    slug: str
    pk: int
    fields: Fields  # every field but resource_uri; relations as slugs when the digest has them
    refs: dict[str, int] = field(default_factory=dict)  # relation -> the related object's id

    def describe(self) -> str:
        return f"{self.resource} {self.slug!r} (id {self.pk})"


@dataclass(frozen=True)
class Digest:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # resource -> slug -> entry

    @classmethod
    def read(cls, reader: Reader, resources: Iterable[str] = RESOURCES) -> Digest:
        raw = {resource: reader.find(resource) for resource in resources}
        slugs_by_uri = {
            (resource, pk_from_uri(obj["resource_uri"])): str(obj.get("slug", ""))
            for resource, objects in raw.items()
            for obj in objects
        }
        entries: dict[str, dict[str, Entry]] = {}
        for resource, objects in raw.items():
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
                entry = Entry(resource, slug, pk, fields, refs)
                table[slug or f"(empty slug, id {pk})"] = entry
        return cls(entries)

    def save(self, path: Path) -> None:
        """Keep the digest beside the run's ledger (for ``authfuzz clean``)."""
        data = {
            resource: [dataclasses.asdict(entry) for entry in table.values()]
            for resource, table in self.entries.items()
        }
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Digest:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {
            resource: {
                str(raw["slug"]) or f"(empty slug, id {raw['pk']})": Entry(**raw) for raw in rows
            }
            for resource, rows in data.items()
        }
        return cls(entries)

    def resources(self) -> tuple[str, ...]:
        return tuple(r for r in RESOURCES if r in self.entries)

    def table(self, resource: str) -> dict[str, Entry]:
        return self.entries.get(resource, {})

    def count(self) -> int:
        return sum(len(table) for table in self.entries.values())

    def pks(self, resource: str) -> frozenset[int]:
        return frozenset(entry.pk for entry in self.table(resource).values())
