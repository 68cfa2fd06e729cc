"""A valid write for each operation, and how to see whether it happened.

The body is always valid for a staff principal, so that only authentication
can explain a rejection; the observation reads back exactly the objects the
write could have touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.client import ApiRequest
from authfuzz.client.bodies import form_fields
from authfuzz.operations import Operation
from authfuzz.state import CanarySet, Reader

V1 = "/api/v1/downloads"
V2 = "/api/v2/downloads"


@dataclass(frozen=True)
class PlannedWrite:
    request: ApiRequest  # without credentials
    observe: Callable[[], Any]  # what the write could change, read as trusted staff


def plan_write(
    operation: Operation,
    canaries: CanarySet,
    reader: Reader,
    nonce: str,
    url_prefix: str,
    base_url: str,
) -> PlannedWrite:
    resource, kind = operation.resource, operation.kind
    if kind == "create":
        slug = f"authfuzz-{resource.replace('_', '-')}-{nonce}"
        body = create_body(operation.api, resource, nonce, slug, canaries, url_prefix, base_url)
        return PlannedWrite(
            ApiRequest(operation.method, operation.path, json_body=body),
            lambda: reader.find(resource, slug=slug),
        )
    if kind == "bulk_destroy":
        release_pk = canaries.pk("release")
        return PlannedWrite(
            ApiRequest(operation.method, operation.path, query=(("release", str(release_pk)),)),
            lambda: sorted(f["slug"] for f in reader.find("release_file", release=release_pk)),
        )
    pk = canaries.pk(resource)
    path = operation.path.replace("{id}", str(pk))
    if kind == "destroy":
        return PlannedWrite(
            ApiRequest(operation.method, path),
            lambda: reader.detail(resource, pk),
        )
    new_name = f"authfuzz mutated {nonce}"
    if kind == "partial_update":
        update: dict[str, Any] = {"name": new_name}
    else:
        update = update_body(resource, canaries, new_name)
    return PlannedWrite(
        ApiRequest(operation.method, path, json_body=update),
        lambda: reader.detail(resource, pk),
    )


def create_body(
    api: Api,
    resource: str,
    nonce: str,
    slug: str,
    canaries: CanarySet,
    url_prefix: str,
    base_url: str,
) -> dict[str, Any]:
    name = f"authfuzz {nonce}"
    if resource == "os":
        return {"name": name, "slug": slug}
    if resource == "release":
        return {
            "name": name,
            "slug": slug,
            "version": 3,
            "is_published": False,
            "show_on_download_page": False,
        }
    if api is Api.V1:
        os_ref = f"{V1}/os/{canaries.pk('os')}/"
        release_ref = f"{V1}/release/{canaries.pk('release')}/"
    else:
        os_ref = f"{base_url}{V2}/os/{canaries.pk('os')}/"
        release_ref = f"{base_url}{V2}/release/{canaries.pk('release')}/"
    return {
        "name": name,
        "slug": slug,
        "os": os_ref,
        "release": release_ref,
        "url": f"{url_prefix}ftp/authfuzz/{nonce}/file.tgz",
    }


def update_body(resource: str, canaries: CanarySet, new_name: str) -> dict[str, Any]:
    current = canaries.object(resource)
    if resource == "os":
        return {"name": new_name, "slug": current["slug"]}
    if resource == "release":
        return {"name": new_name, "slug": current["slug"], "version": 3, "is_published": False}
    return {
        "name": new_name,
        "slug": current["slug"],
        "os": current["os"],
        "release": current["release"],
        "url": current["url"],
        "gpg_signature_file": current.get("gpg_signature_file", ""),
    }


def with_attempt(
    request: ApiRequest, attempt: Attempt, session_cookie: Callable[[str], str]
) -> ApiRequest:
    """Dress a credential-less request in what the attempt presents."""
    method = request.method
    headers = request.headers + attempt.headers
    query = request.query + attempt.query
    form = attempt.form or None
    json_body = None if attempt.form else request.json_body
    override = attempt.override
    if override is not None:
        asked = (override.name, override.value(request.method))
        method = override.via
        if override.where == "header":
            headers += (asked,)
        elif override.where == "query":
            query += (asked,)
        else:  # the body travels as form fields, with the override among them
            fields = (
                tuple(form_fields(json_body, nested_as_json=True)) if json_body is not None else ()
            )
            form = fields + (attempt.form or ()) + (asked,)
            json_body = None
    cookies = request.cookies + attempt.cookies
    if attempt.session_of:
        cookies += (("sessionid", session_cookie(attempt.session_of)),)
    return ApiRequest(
        method=method,
        path=request.path,
        headers=headers,
        query=query,
        json_body=json_body,
        form=form,
        cookies=cookies,
        body_format=attempt.form_format
        if form is not None and attempt.form_format
        else request.body_format,
    )
