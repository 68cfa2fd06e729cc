"""Send one release-file bulk delete as trusted staff, read the canaries back, judge the scope.

The cases of a process share one scene (``Scene``): an OS of its own and two unpublished
releases, each with one release file on that OS. The *target* is the release whose pk the
query may name; the *bystander* is created right after it, so on a quiet database its pk is
the target's plus one, where an off-by-one would land. The query never names the bystander,
so on a correct server nothing but the target's files can go, and nothing outside this
worker's own objects is ever touched. What a case deleted (the positive control deletes the
target's file; a defect may delete both) is put back before the next case, and the scene is
read before a case whenever anything was written since it was last seen whole; so a case costs
the request, one list read and custody's guard, instead of making and removing five objects
(it used to make its own scene, 11 requests a case).

The request is sent with the trusted staff principal's own credential for the operation's API:
the strongest caller there is, so a refusal says something about the filter, not the caller.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, Purpose, send_write
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.operations import Operation
from authfuzz.oracles import Outcome, Verdict, bulk_delete_scope
from authfuzz.oracles.bulk_delete_scope import CanaryFile
from authfuzz.principals import Principal
from authfuzz.state import V2, ReadBackError, Reader, new_nonce, pk_from_uri
from authfuzz.workbench import PositiveControlError, Workbench

Pairs = tuple[tuple[str, str], ...]
TARGET = "target"


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


def check_bulk_delete(workbench: Workbench, operation: Operation, case: BulkQuery) -> Verdict:
    if workbench.target.is_production:
        raise NotApplicableError("production target: a bulk delete is never attempted")
    if operation.kind != "bulk_destroy":
        raise ValueError(f"{operation.operation_id} is not a bulk delete")
    client, reader = workbench.client, workbench.reader
    auth = _staff_auth(reader.trusted, operation.api)
    scene = _ready_scene(workbench)
    target = scene.files[0]
    query = case.render(target.release, scene.os_pk)
    request = ApiRequest(operation.method, operation.path, headers=auth, query=query)

    def gone() -> list[CanaryFile]:
        return scene.missing(_present(reader, scene))

    with client.purpose.of(Purpose.ATTEMPT):
        response = send_write(client, request, lambda: bool(gone()))
    deleted = gone()
    scene.read_at = client.writes_sent if not deleted else None

    def make_finding(summary: str, evidence: str) -> Finding:
        return finding_from(
            client,
            request,
            response,
            invariant=bulk_delete_scope.INVARIANT,
            oracle="read-back",
            branch=f"bulk-filter:{case.label}",
            operation=operation.label,
            summary=summary,
            evidence=evidence,
            labels=(f"filter:{case.label}", case.how),
        )

    verdict = bulk_delete_scope.judge(
        status=response.status,
        deleted=deleted,
        in_scope=target.release if case.may_delete == TARGET else None,
        make_finding=make_finding,
        fault=response.fault,
    )
    if verdict.outcome is Outcome.FINDING:
        # An unscoped delete takes everything with it, the workbench's canary file included:
        # the next check starts from fresh canaries instead of a missing one.
        workbench.reset_canaries()
        return verdict
    if case.control and verdict.outcome is Outcome.PASS:
        problem = bulk_delete_scope.positive_control_failed(
            response.status, deleted, [target], response.fault
        )
        if problem:
            raise PositiveControlError(f"{operation.operation_id}: {problem}")
    return verdict


def _staff_auth(trusted: Principal, api: Api) -> Pairs:
    if api is Api.V1:
        if not trusted.api_key:
            raise NotApplicableError(
                f"v1 needs the trusted staff principal ({trusted.name}) to have an api_key"
            )
        return (("Authorization", f"ApiKey {trusted.username}:{trusted.api_key}"),)
    return (("Authorization", f"Token {trusted.token}"),)


# -- the scene -------------------------------------------------------------------------------

SCENE = "bulk-delete scene"
ROLES = ("target", "bystander")


@dataclass
class Scene:
    """One OS of its own, and per role an unpublished release with one release file on it."""

    nonce: str
    os_pk: int
    files: list[CanaryFile]  # in ROLES order; a file put back gets a new pk
    read_at: int | None = None  # Client.writes_sent when every file was last seen present

    def missing(self, present: set[int]) -> list[CanaryFile]:
        return [f for f in self.files if f.pk not in present]


def _ready_scene(workbench: Workbench) -> Scene:
    """The scene with every file present: read (one list) unless nothing was written since the
    last read showed them all, and what a previous case deleted put back. A scene that cannot
    be put back (something removed its release or OS) is replaced."""
    reader = workbench.reader
    url_prefix = workbench.target.url_prefix
    for _ in range(2):
        scene = workbench.kept(
            SCENE, lambda: _make_scene(reader, url_prefix), lambda s: _remove_scene(reader, s)
        )
        if scene.read_at == workbench.client.writes_sent:
            return scene
        try:
            with workbench.client.purpose.of(Purpose.PUT_BACK):
                missing = scene.missing(_present(reader, scene))
                for canary in missing:
                    _put_file_back(reader, scene, canary, url_prefix)
        except ReadBackError:
            workbench.drop(SCENE)
            continue
        scene.read_at = workbench.client.writes_sent
        return scene
    raise ReadBackError("the bulk-delete scene could not be made ready twice in a row")


def _make_scene(reader: Reader, url_prefix: str) -> Scene:
    """The target's release first and the bystander's right after it, so on a quiet database
    the bystander's pk is the target's plus one, where an off-by-one would land."""
    nonce = new_nonce()
    with reader.client.purpose.of(Purpose.CANARY):
        os_obj = reader.create(
            "os", {"name": f"authfuzz bulk {nonce}", "slug": f"authfuzz-bulk-os-{nonce}"}
        )
        scene = Scene(nonce, pk_from_uri(os_obj["resource_uri"]), [])
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
                placeholder = CanaryFile(0, pk_from_uri(release["resource_uri"]))
                scene.files.append(_file(reader, scene, role, placeholder, url_prefix))
        except BaseException:
            _remove_scene(reader, scene)
            raise
    scene.read_at = reader.client.writes_sent
    return scene


def _put_file_back(reader: Reader, scene: Scene, canary: CanaryFile, url_prefix: str) -> None:
    index = scene.files.index(canary)
    scene.files[index] = _file(reader, scene, ROLES[index], canary, url_prefix)


def _file(
    reader: Reader, scene: Scene, role: str, canary: CanaryFile, url_prefix: str
) -> CanaryFile:
    base = reader.client.base_url
    name = f"{role}-{scene.nonce}"
    created = reader.create(
        "release_file",
        {
            "name": f"authfuzz bulk {name}",
            "slug": f"authfuzz-bulk-file-{name}",
            "os": f"{base}{V2}/os/{scene.os_pk}/",
            "release": f"{base}{V2}/release/{canary.release}/",
            "url": f"{url_prefix}ftp/authfuzz/bulk-{name}/file.tgz",
        },
    )
    return CanaryFile(pk_from_uri(created["resource_uri"]), canary.release)


def _present(reader: Reader, scene: Scene) -> set[int]:
    """The pks of the scene's files still there: one list read, filtered by the scene's OS."""
    return {pk_from_uri(f["resource_uri"]) for f in reader.find("release_file", os=scene.os_pk)}


def _remove_scene(reader: Reader, scene: Scene) -> None:
    """Best effort: deleting a release removes its files with it, and the OS goes last."""
    for canary in scene.files:
        with contextlib.suppress(Exception, NotChecked):
            reader.delete("release", canary.release)
    with contextlib.suppress(Exception, NotChecked):
        reader.delete("os", scene.os_pk)
