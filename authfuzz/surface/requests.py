"""The request the gate sends for one route cell: aimed at the run's canaries, valid for staff.

Valid bodies, so that only the route and the credential can explain a refusal. Every write of
a batch names what it would create or change after the batch's token (``authfuzz <token>``,
slugs ``authfuzz-route-<token>-<n>``), so a read-back finds any of it; a delete reaches only
the canaries: list-level deletes of release files are scoped to the canary release, the
``delete_by_release`` action always names it, and ``set/`` names the canary beside an id
that does not exist.
"""

from __future__ import annotations

from typing import Any

from authfuzz.canaries import CanarySet
from authfuzz.client import ApiRequest
from authfuzz.surface.table import RouteCell, Scope
from authfuzz.writes import create_body, update_body

Pairs = tuple[tuple[str, str], ...]


def route_request(
    cell: RouteCell,
    canaries: CanarySet,
    token: str,
    index: int,
    auth: Pairs,
    url_prefix: str,
    base_url: str,
) -> ApiRequest:
    path = cell.path(canaries.pk(cell.resource))
    query: Pairs = ()
    if cell.resource == "release_file" and (
        cell.scope is Scope.ACTION or (cell.scope is Scope.LIST and cell.method == "DELETE")
    ):
        query = (("release", str(canaries.pk("release"))),)
    return ApiRequest(
        cell.method,
        path,
        headers=auth,
        query=query,
        json_body=_body(cell, canaries, token, index, url_prefix, base_url),
    )


def _body(
    cell: RouteCell,
    canaries: CanarySet,
    token: str,
    index: int,
    url_prefix: str,
    base_url: str,
) -> dict[str, Any] | None:
    if cell.method not in ("POST", "PUT", "PATCH"):
        return None
    slug = f"authfuzz-route-{token}-{index}"
    fresh = create_body(cell.api, cell.resource, token, slug, canaries, url_prefix, base_url)
    if cell.method == "POST" or cell.scope is not Scope.DETAIL:
        # A write anywhere but the canary's own detail could only create: give it all it needs.
        return fresh
    name = fresh["name"]
    if cell.method == "PATCH":
        return {"name": name}
    return update_body(cell.resource, canaries, name)
