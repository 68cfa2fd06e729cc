"""What the run created, or may have: registered before each request goes out.

Every request the client sends passes ``Ledger.note`` first. A request that could create
something (a POST to a list, or anything carrying a method override; the nested objects of a
v1 write too) registers the slug of what it would create: the harness gives every body a slug
(unique, with a nonce), and on a vulnerable server a negative attempt creates it too. The
trusted principal's own creates register their ids. Nothing is looked up per entry at the
end: the custodian compares the last digest with the first, and an object that is new and
registered (or carries the harness's name) is the run's to remove.

Under pytest-xdist each worker appends to a journal of its own, one JSON line per entry, in a
directory the whole run shares, so that the process that cleans up at the end also knows what
a worker that died had created.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authfuzz.api_shapes import list_resource, overrides

if TYPE_CHECKING:
    from authfuzz.client.messages import ApiRequest

MARKER = "authfuzz"  # in the name or slug of everything the harness makes


def creations(request: ApiRequest) -> list[tuple[str, str]]:
    """(resource, slug) of everything ``request`` could create on a vulnerable server."""
    resource = list_resource(request.path)
    body = request.json_body
    if resource is None or not isinstance(body, dict):
        return []
    # Any override counts, whatever it asks for: a server may read several differently.
    overridden = overrides(request.headers, request.query, request.form or ())
    if request.method.upper() != "POST" and not overridden:
        return []
    found: list[tuple[str, str]] = []
    slug = body.get("slug")
    if isinstance(slug, str) and slug:
        found.append((resource, slug))
    for relation in ("os", "release"):
        nested = body.get(relation)
        if isinstance(nested, dict) and isinstance(nested.get("slug"), str) and nested["slug"]:
            found.append((relation, nested["slug"]))
    return found


@dataclass
class Ledger:
    journal: Path | None = None  # None: this process keeps it in memory only
    slugs: set[tuple[str, str]] = field(default_factory=set)
    pks: set[tuple[str, int]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # What the target held when the run began: never the run's, whatever was registered (a
    # nested write names an existing object's slug, and is registered before it is sent).
    existing: set[tuple[str, str]] = field(default_factory=set)
    existing_pks: set[tuple[str, int]] = field(default_factory=set)
    # What the run's other processes registered: journal -> (bytes read, their slugs)
    _others: dict[Path, tuple[int, set[tuple[str, str]]]] = field(default_factory=dict, repr=False)

    def note(self, request: ApiRequest) -> None:
        for resource, slug in creations(request):
            self.add_slug(resource, slug)

    def add_slug(self, resource: str, slug: str) -> None:
        with self._lock:
            if (resource, slug) in self.slugs:
                return
            self.slugs.add((resource, slug))
            self._append({"resource": resource, "slug": slug})

    def add_pk(self, resource: str, pk: int, slug: str = "") -> None:
        with self._lock:
            if (resource, pk) in self.pks:
                return
            self.pks.add((resource, pk))
            if slug:
                self.slugs.add((resource, slug))
            self._append({"resource": resource, "pk": pk, "slug": slug})

    def found(self, objects: Iterable[tuple[str, int, str]]) -> None:
        """(resource, id, slug) of everything the target held when the run began."""
        for resource, pk, slug in objects:
            self.existing.add((resource, slug))
            self.existing_pks.add((resource, pk))

    def owns(self, resource: str, pk: int | None = None, slug: str = "", name: str = "") -> bool:
        """Whether an object is the run's: registered, or named as the harness names its own,
        and not there when the run began."""
        if (resource, slug) in self.existing or (
            pk is not None and (resource, pk) in self.existing_pks
        ):
            return False
        if pk is not None and (resource, pk) in self.pks:
            return True
        if slug and (resource, slug) in self.slugs:
            return True
        return MARKER in slug or MARKER in name

    def others(self) -> frozenset[tuple[str, str]]:
        """(resource, slug) of everything the run's other processes registered so far: theirs
        to judge and to clean, not this process's (read from their journals as they grow)."""
        if self.journal is None:
            return frozenset()
        found: set[tuple[str, str]] = set()
        for path in sorted(self.journal.parent.glob("*.jsonl")):
            if path == self.journal:
                continue
            offset, slugs = self._others.get(path, (0, set()))
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
            for line in complete.decode("utf-8", "replace").splitlines():
                entry = _entry(line)
                if entry is not None and entry.get("slug"):
                    slugs.add((entry["resource"], str(entry["slug"])))
            self._others[path] = (offset + len(complete), slugs)
            found |= slugs
        return frozenset(found)

    def merge_journals(self, directory: Path) -> None:
        """Take in what every process of the run registered (a worker may have died)."""
        for path in sorted(directory.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = _entry(line)
                if entry is None:
                    continue
                if "pk" in entry:
                    self.pks.add((entry["resource"], int(entry["pk"])))
                if entry.get("slug"):
                    self.slugs.add((entry["resource"], str(entry["slug"])))

    def _append(self, entry: dict[str, Any]) -> None:
        if self.journal is not None:
            with self.journal.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")


def _entry(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None  # a worker killed mid-write leaves half a line
    return entry if isinstance(entry, dict) and "resource" in entry else None
