"""A release-file bulk-delete filter sent as trusted staff, in a scene of the process's own.

The scene: an OS of its own and two unpublished releases, each with one release file on that
OS. The *target* is the release whose pk a filter may name; the *bystander* is created right
after it, so on a quiet database its pk is the target's plus one, where an off-by-one would
land. Every other object of the target (seeded rows, canaries, other processes' objects) is a
bystander too: the engine reads the whole state.

A filter that names the target (``may_delete``) may delete the target's file; any other
deletion, anywhere, breaks "bulk-delete-stays-in-scope". The legal filter is the positive
control: it must delete the target's file, or the check is blind. The request is sent with the
trusted principal's own credential for the operation's API: the strongest caller there is, so
a refusal says something about the filter, not the caller.

Filters that may delete nothing go in one batch; one that may delete the target goes alone (its
allowed deletion would explain, and so hide, another filter's deletion of the same file). What
a filter was allowed to delete is made again before the next batch (one request).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

from authfuzz.client import ApiRequest, Purpose
from authfuzz.engine.trial import NOTHING, Allowance, Shot
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.operations import Operation
from authfuzz.oracles import bulk_delete_scope
from authfuzz.state import Reader, new_nonce
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri

Pairs = tuple[tuple[str, str], ...]
TARGET = "target"
SCENE = "bulk-delete scene"
ROLES = ("target", "bystander")


class BulkQuery(Protocol):
    """What a bulk-delete filter must say (strategies.bulk_filters.BulkFilter fits)."""

    @property
    def label(self) -> str: ...
    @property
    def may_delete(self) -> str | None: ...  # "target", or None: nothing
    @property
    def how(self) -> str: ...
    @property
    def control(self) -> bool: ...
    def render(self, canary: int, os: int) -> Pairs: ...


@dataclass(frozen=True)
class BulkDelete:
    operation: Operation
    case: BulkQuery
    tag: str = ""

    @property
    def key(self) -> str:
        return f"{self.operation.operation_id} {self.case.label} {self.tag}"

    def shoot(self, bench: Workbench) -> Shot:
        if bench.target.is_production:
            raise NotApplicableError("production target: a bulk delete is never attempted")
        if self.operation.kind != "bulk_destroy":
            raise ValueError(f"{self.operation.operation_id} is not a bulk delete")
        scene = bench.kept(
            SCENE, lambda: _make_scene(bench), _Scene.remove, _Scene.keys, _Scene.mend
        )
        target = scene.files["target"]
        query = self.case.render(target.release, scene.os)
        may = self.case.may_delete == TARGET
        return Shot(
            ApiRequest(
                self.operation.method,
                self.operation.path,
                headers=bench.staff_auth(self.operation.api),
                query=query,
            ),
            bulk_delete_scope.INVARIANT,
            f"bulk-filter:{self.case.label}",
            self.operation.label,
            labels=(f"filter:{self.case.label}", self.case.how),
            allowed=Allowance(deletes=frozenset({("release_file", target.pk)})) if may else NOTHING,
            required=self.case.control,
            aim=frozenset({("release_file", target.pk)}),
        )

    @property
    def alone(self) -> bool:
        """Whether the engine must send it in a batch of its own (see the module docstring)."""
        return self.case.may_delete == TARGET


@dataclass
class _File:
    pk: int
    release: int


@dataclass
class _Scene:
    reader: Reader
    nonce: str
    os: int
    url_prefix: str
    files: dict[str, _File] = field(
        default_factory=dict
    )  # role -> its file (a new pk if made again)

    def keys(self) -> list[tuple[str, int]]:
        keys = [("os", self.os)]
        for f in self.files.values():
            keys += [("release", f.release), ("release_file", f.pk)]
        return keys

    def mend(self, gone: set[tuple[str, int]]) -> None:
        """Make the files a filter was allowed to delete again (their releases are still there)."""
        for role, known in list(self.files.items()):
            if ("release_file", known.pk) in gone:
                self.files[role] = self._file(role, known.release)

    def _file(self, role: str, release: int) -> _File:
        name = f"{role}-{self.nonce}-{new_nonce()[:4]}"
        created = self.reader.create(
            "release_file",
            {
                "name": f"authfuzz bulk {name}",
                "slug": f"authfuzz-bulk-file-{name}",
                "os": self.reader.url("os", self.os),
                "release": self.reader.url("release", release),
                "url": f"{self.url_prefix}ftp/authfuzz/bulk-{name}/file.tgz",
            },
        )
        return _File(pk_from_uri(created["resource_uri"]), release)

    def remove(self) -> None:
        """The OS takes both files with it; the releases go one by one."""
        pks = [("release", f.release) for f in self.files.values()] + [("os", self.os)]
        for resource, pk in pks:
            with contextlib.suppress(Exception, NotChecked):
                self.reader.delete(resource, pk)


def _make_scene(bench: Workbench) -> _Scene:
    """The target's release first and the bystander's right after it, so on a quiet database
    the bystander's pk is the target's plus one, where an off-by-one would land."""
    reader, nonce = bench.reader, new_nonce()
    with bench.client.purpose.of(Purpose.CANARY):
        os_obj = reader.create(
            "os", {"name": f"authfuzz bulk {nonce}", "slug": f"authfuzz-bulk-os-{nonce}"}
        )
        scene = _Scene(reader, nonce, pk_from_uri(os_obj["resource_uri"]), bench.target.url_prefix)
        try:
            for role in ROLES:
                release = reader.create(
                    "release",
                    {
                        "name": f"authfuzz bulk {role}-{nonce}",
                        "slug": f"authfuzz-bulk-{role}-{nonce}",
                        "version": 3,
                        "is_published": False,
                        "show_on_download_page": False,
                    },
                )
                scene.files[role] = scene._file(role, pk_from_uri(release["resource_uri"]))
        except BaseException:
            scene.remove()
            raise
    return scene
