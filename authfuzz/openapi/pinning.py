"""A generated case made valid, and aimed at objects the process owns, before it is sent.

Generated bodies are arbitrary, so every write is pointed at the bench's objects: ``{id}`` at
the canary, a bulk delete at the canary release, a release file's ``os``/``release`` at the
canary OS and release, and a create's ``slug`` gets a nonce (unique, and what the engine's read
shows when the create happens). So only the credential can explain a refusal, and under
pytest-xdist or on a shared target a case never touches anyone else's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemathesis import Case

from authfuzz.branches import Api
from authfuzz.operations import Operation
from authfuzz.url_policy import SIDECAR_SUFFIXES, URL_FIELDS
from authfuzz.vocabulary import V1, V2
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri

SLUG_MAX = 200
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Pinned:
    """Where a pinned case points: the objects it addresses, or the slug a create makes."""

    resource: str
    aim: frozenset[tuple[str, int]] = frozenset()
    creates: str | None = None  # the slug, for a create


def unique_slug(generated: Any, nonce: str) -> str:
    """The generated slug (if usable) made unique with the nonce, within the column's length."""
    stem = generated if isinstance(generated, str) else ""
    suffix = f"authfuzz-{nonce}"
    return f"{stem[: SLUG_MAX - len(suffix) - 1]}-{suffix}" if stem else suffix


def canary_refs(workbench: Workbench, api: Api) -> dict[str, str]:
    canaries = workbench.canaries()
    if api is Api.V1:
        return {
            "os": f"{V1}/os/{canaries.pk('os')}/",
            "release": f"{V1}/release/{canaries.pk('release')}/",
        }
    base = workbench.client.base_url
    return {
        "os": f"{base}{V2}/os/{canaries.pk('os')}/",
        "release": f"{base}{V2}/release/{canaries.pk('release')}/",
    }


def legal_url(workbench: Workbench, nonce: str) -> str:
    return f"{workbench.target.url_prefix}ftp/authfuzz/{nonce}/openapi.tgz"


def fit_body(
    workbench: Workbench,
    operation: Operation,
    body: Any,
    nonce: str,
    *,
    urls: Mapping[str, object] | None = None,
    legal_urls: bool = True,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The generated body with what cannot be valid by chance made valid.

    ``slug`` gets the nonce (unique); a release file's ``os``/``release`` become the canary's.
    URL fields: ``urls`` (a URL case's fields, the rest sent empty) when given; otherwise, with
    ``legal_urls``, a legal unique ``url`` and every sidecar matching it (the URL policy is not
    what an auth test is about); otherwise they stay as generated. ``current`` is the object
    the case writes (by default the canary file).
    """
    fitted: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    kind, resource = operation.kind, operation.resource
    if kind in ("create", "update") or "slug" in fitted:
        fitted["slug"] = unique_slug(fitted.get("slug"), nonce)
    if resource == "release" and fitted.get("is_latest"):
        # A new latest release demotes the deployment's real one (python.org's promote-latest
        # rule); the gate is not about that flag, so it never asks for it (custody would put
        # the real one back, at the cost of a snapshot per case).
        fitted["is_latest"] = False
    if resource != "release_file":
        return fitted
    refs = canary_refs(workbench, operation.api)
    for name, ref in refs.items():
        if kind in ("create", "update") or name in fitted:
            fitted[name] = ref
    if urls is not None:
        for name in URL_FIELDS:
            fitted.pop(name, None)
        fitted.update({name: "" for name in SIDECAR_SUFFIXES})
        fitted.update(urls)
        if kind == "update" and "url" not in urls:
            fitted["url"] = (current or workbench.canaries().object("release_file"))["url"]
    elif legal_urls:
        if kind in ("create", "update") or "url" in fitted:
            fitted["url"] = legal_url(workbench, nonce)
            fitted.update({name: "" for name in SIDECAR_SUFFIXES})  # every one set below
        url = fitted.get("url") or (current or workbench.canaries().object("release_file"))["url"]
        for name, suffix in SIDECAR_SUFFIXES.items():
            if name in fitted:
                fitted[name] = url + suffix
    return fitted


def pin(
    workbench: Workbench,
    operation: Operation,
    case: Case[Any],
    nonce: str,
    *,
    urls: Mapping[str, object] | None = None,
    legal_urls: bool = True,
    retarget: bool = True,
    current: Mapping[str, Any] | None = None,
) -> Pinned:
    """Point ``case`` at the bench's canaries (in place) and say where it points.

    With ``retarget=False`` an ``{id}`` stays as it is (the stateful run aims it itself);
    ``current`` is another object of the bench to aim ``{id}`` at (a URL pool slot).
    """
    resource = operation.resource
    if operation.method not in WRITE_METHODS:
        return Pinned(resource)
    aim: frozenset[tuple[str, int]] = frozenset()
    if operation.kind == "bulk_destroy":
        canaries = workbench.canaries()
        case.query = {"release": canaries.pk("release")}
        aim = frozenset({("release_file", canaries.pk("release_file"))})
    elif operation.needs_object:
        if current is not None:
            pk = pk_from_uri(str(current["resource_uri"]))
            case.path_parameters = {**(case.path_parameters or {}), "id": pk}
        elif retarget:
            pk = workbench.canaries().pk(resource)
            case.path_parameters = {**(case.path_parameters or {}), "id": pk}
        else:
            pk = int(case.path_parameters["id"])
        aim = frozenset({(resource, pk)})
    body: dict[str, Any] = {}
    if operation.method in ("POST", "PUT", "PATCH"):
        body = fit_body(
            workbench,
            operation,
            case.body,
            nonce,
            urls=urls,
            legal_urls=legal_urls,
            current=current,
        )
        case.body = body
    if not operation.needs_object and operation.kind == "create":
        return Pinned(resource, creates=str(body["slug"]))
    return Pinned(resource, aim)
