"""A valid write for each operation, aimed at the canaries, and an attempt's credential on it.

The body is always valid for a staff principal, so that only authentication
can explain a rejection; what it changed is the engine's business (it reads
the whole state back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.canaries import CanarySet
from authfuzz.client import ApiRequest
from authfuzz.client.bodies import form_fields
from authfuzz.operations import Operation
from authfuzz.url_policy import URL_FIELDS
from authfuzz.vocabulary import V1, V2


def write_request(
    operation: Operation, canaries: CanarySet, nonce: str, url_prefix: str, base_url: str
) -> ApiRequest:
    """The operation as a valid staff write (no credential yet) aimed at the canaries: a create
    named after ``nonce``, an update of the canary, a bulk delete of the canary release."""
    resource, kind = operation.resource, operation.kind
    if kind == "create":
        body = create_body(
            operation.api,
            resource,
            nonce,
            created_slug(resource, nonce),
            canaries,
            url_prefix,
            base_url,
        )
        return ApiRequest(operation.method, operation.path, json_body=body)
    if kind == "bulk_destroy":
        release = (("release", str(canaries.pk("release"))),)
        return ApiRequest(operation.method, operation.path, query=release)
    path = operation.path.replace("{id}", str(canaries.pk(resource)))
    if kind == "destroy":
        return ApiRequest(operation.method, path)
    new_name = f"authfuzz mutated {nonce}"
    if kind == "partial_update":
        update: dict[str, Any] = {"name": new_name}
    else:
        update = update_body(resource, canaries, new_name)
    return ApiRequest(operation.method, path, json_body=update)


def created_slug(resource: str, nonce: str) -> str:
    return f"authfuzz-{resource.replace('_', '-')}-{nonce}"


def aimed_at(operation: Operation, canaries: CanarySet) -> frozenset[tuple[str, int]]:
    """The objects the operation's request addresses (none for a create)."""
    if operation.kind == "create":
        return frozenset()
    if operation.kind == "bulk_destroy":
        return frozenset({("release_file", canaries.pk("release_file"))})
    return frozenset({(operation.resource, canaries.pk(operation.resource))})


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
        **{name: current.get(name, "") for name in URL_FIELDS},
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
