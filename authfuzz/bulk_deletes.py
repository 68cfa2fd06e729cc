"""Send one release-file bulk delete as trusted staff, read the canaries back, judge the scope.

Each case gets a scene of its own, made just before the request and removed just after it (a
previous case may have deleted the last one's files, on a defective target): two unpublished
releases named with a fresh nonce, each with one release file on the OS of the workbench's
canaries. The *target* is the release whose pk the query may name; the *bystander* is created
right after it, so on a quiet database its pk is the target's plus one, where an off-by-one
would land. The query never names the bystander, so on a correct server nothing but the
target's files can go, and nothing outside this worker's own objects is ever touched.

The request is sent with the trusted staff principal's own credential for the operation's API:
the strongest caller there is, so a refusal says something about the filter, not the caller.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, send_write
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.operations import Operation
from authfuzz.oracles import Outcome, Verdict, bulk_delete_scope
from authfuzz.oracles.bulk_delete_scope import CanaryFile
from authfuzz.principals import Principal
from authfuzz.state import V2, Reader, new_nonce, pk_from_uri
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
    os_pk = workbench.canaries().pk("os")
    scene: list[CanaryFile] = []
    try:
        nonce = new_nonce()
        for role in ("target", "bystander"):
            scene.append(_canary(reader, os_pk, f"{role}-{nonce}", workbench.target.url_prefix))
        target = scene[0]
        query = case.render(target.release, os_pk)
        request = ApiRequest(operation.method, operation.path, headers=auth, query=query)

        def gone() -> list[CanaryFile]:
            return [f for f in scene if reader.detail("release_file", f.pk) is None]

        response = send_write(client, request, lambda: bool(gone()))
        deleted = gone()
    finally:
        _remove(reader, scene)

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


def _canary(reader: Reader, os_pk: int, name: str, url_prefix: str) -> CanaryFile:
    """One unpublished release with one release file, both named after ``name``."""
    base = reader.client.base_url
    release = reader.create(
        "release",
        {
            "name": f"authfuzz bulk {name}",
            "slug": f"authfuzz-bulk-{name}",
            "version": 3,
            "is_published": False,
            "show_on_download_page": False,
        },
    )
    release_pk = pk_from_uri(release["resource_uri"])
    try:
        release_file = reader.create(
            "release_file",
            {
                "name": f"authfuzz bulk {name}",
                "slug": f"authfuzz-bulk-file-{name}",
                "os": f"{base}{V2}/os/{os_pk}/",
                "release": f"{base}{V2}/release/{release_pk}/",
                "url": f"{url_prefix}ftp/authfuzz/bulk-{name}/file.tgz",
            },
        )
    except Exception:
        with contextlib.suppress(Exception, NotChecked):
            reader.delete("release", release_pk)
        raise
    return CanaryFile(pk_from_uri(release_file["resource_uri"]), release_pk)


def _remove(reader: Reader, scene: list[CanaryFile]) -> None:
    """Best effort: deleting a release removes its files with it."""
    for canary in scene:
        with contextlib.suppress(Exception, NotChecked):
            reader.delete("release", canary.release)
