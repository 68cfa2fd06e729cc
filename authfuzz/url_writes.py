"""Write a URL case through one write path as trusted staff, read it back, judge it.

The write paths are the four ways a release file's URLs can be set: v1 POST,
v2 POST, v2 PUT and v2 PATCH. Everything but the URL fields is valid, so only
the URL policy can explain a rejection. A case may travel in any body format
its API parses (``authfuzz.travel.BODY_FORMATS``): a URL rule that runs for one
parser only is a hole in the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, Purpose, send_write
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.oracles import Verdict, no_foreign_url
from authfuzz.state import V2, ReadBackError, new_nonce, pk_from_uri
from authfuzz.url_policy import SIDECAR_SUFFIXES
from authfuzz.workbench import Workbench

V1 = "/api/v1/downloads"


class WritePath(Enum):
    V1_POST = ("v1", "POST")
    V2_POST = ("v2", "POST")
    V2_PUT = ("v2", "PUT")
    V2_PATCH = ("v2", "PATCH")

    @property
    def api(self) -> Api:
        return Api(self.value[0])

    @property
    def method(self) -> str:
        return self.value[1]

    @property
    def slug(self) -> str:
        return f"{self.value[0]}-{self.value[1].lower()}"


class UrlWrite(Protocol):
    """What a URL case must say (strategies.urls.UrlCase fits)."""

    @property
    def field(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, object]: ...
    @property
    def accepted(self) -> bool: ...


def check_url_write(
    workbench: Workbench, path: WritePath, case: UrlWrite, body_format: str = "json"
) -> Verdict:
    client, reader = workbench.client, workbench.reader
    trusted = reader.trusted
    canaries = workbench.canaries()
    nonce = new_nonce()
    base = client.base_url
    if path.api is Api.V1:
        auth = (("Authorization", f"ApiKey {trusted.username}:{trusted.api_key}"),)
    else:
        auth = (("Authorization", f"Token {trusted.token}"),)

    before: dict[str, Any] | None = None
    if path in (WritePath.V1_POST, WritePath.V2_POST):
        slug = f"authfuzz-url-{nonce}"
        if path is WritePath.V1_POST:
            refs = {
                "os": f"{V1}/os/{canaries.pk('os')}/",
                "release": f"{V1}/release/{canaries.pk('release')}/",
            }
            target = f"{V1}/release_file/"
        else:
            refs = {
                "os": f"{base}{V2}/os/{canaries.pk('os')}/",
                "release": f"{base}{V2}/release/{canaries.pk('release')}/",
            }
            target = f"{V2}/release_file/"
        body: dict[str, Any] = {
            "name": f"authfuzz url {nonce}",
            "slug": slug,
            **refs,
            **case.fields,
        }
        request = ApiRequest("POST", target, headers=auth, json_body=body, body_format=body_format)

        def read_back() -> dict[str, Any] | None:
            found = reader.find("release_file", slug=slug)
            return found[0] if found else None
    else:
        pk = canaries.pk("release_file")
        before = workbench.canary_state("release_file")
        if path is WritePath.V2_PUT:
            current = canaries.object("release_file")
            body = {
                "name": current["name"],
                "slug": current["slug"],
                "os": current["os"],
                "release": current["release"],
                "url": current["url"],
                **{name: "" for name in SIDECAR_SUFFIXES},  # only the case's sidecars
                **case.fields,
            }
        else:
            body = dict(case.fields)
        request = ApiRequest(
            path.method,
            f"{V2}/release_file/{pk}/",
            headers=auth,
            json_body=body,
            body_format=body_format,
        )

        def read_back() -> dict[str, Any] | None:
            return reader.detail("release_file", pk)

    with client.purpose.of(Purpose.ATTEMPT):
        response = send_write(client, request, lambda: read_back() != before)
    after = read_back()

    def make_finding(summary: str, evidence: str) -> Finding:
        return finding_from(
            client,
            request,
            response,
            invariant=no_foreign_url.INVARIANT,
            oracle="read-back",
            branch=f"{path.slug}:{case.field}",
            # the format is part of the way in: a rule may hold for JSON and not for XML
            operation=f"{request.method} {request.path}",
            summary=f"{summary}; field {case.field}, category {case.category}",
            evidence=evidence,
            labels=(f"field:{case.field}", f"category:{case.category}", f"body:{body_format}"),
        )

    verdict = no_foreign_url.judge(
        status=response.status,
        policy_accepts=case.accepted,
        before=before,
        after=after,
        url_prefix=workbench.target.url_prefix,
        make_finding=make_finding,
        fault=response.fault,
    )
    if path in (WritePath.V2_PUT, WritePath.V2_PATCH) and after != before:
        _put_back(workbench, before, after)
    return verdict


def _put_back(workbench: Workbench, before: dict[str, Any] | None, after: Any) -> None:
    """The next case starts from a known, legal canary: the changed fields are patched back
    (two requests), or, if that does not give the same object, the canaries are remade (six).
    Against a throttled target the difference is most of the URL suite's spend."""
    with workbench.client.purpose.of(Purpose.PUT_BACK):
        _patch_back(workbench, before, after)


def _patch_back(workbench: Workbench, before: dict[str, Any] | None, after: Any) -> None:
    reader = workbench.reader
    if before is None or not isinstance(after, dict):
        workbench.reset_canaries()
        return
    changed = {k: v for k, v in before.items() if after.get(k) != v and k != "resource_uri"}
    try:
        restored = reader.patch("release_file", pk_from_uri(before["resource_uri"]), changed)
    except ReadBackError:
        restored = None
    if restored != before:
        workbench.reset_canaries()
    else:
        workbench.remember_state("release_file", restored)
