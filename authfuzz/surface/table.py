"""The route table: every method on every path the two frameworks route, and the answer at HEAD.

The spec says which (method, path) pairs the API offers; Tastypie and DRF route more than that,
and an authorization mistake on a route nobody documented is still a way in. This module lists
the surface the frameworks actually expose for each documented resource, so the gate can send
something to every cell of it (``authfuzz.checks.routes``) and the testbed can be held to the
same answers (``tests/testbed/test_route_table.py``):

- **methods**: GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE on every path;
- **scopes**: the list, an existing object (the run's canary), an id that does not exist (a
  PUT or PATCH there must never create it), and the extra routes: v2's ``delete_by_release``
  action, v1's ``set/<pk>;<pk>/`` and ``schema/``;
- **variants** of each path that can reach the same view: DRF's format suffixes (``.json``,
  with and without the slash, and ``.api``, the browsable renderer's), a missing trailing
  slash, double slashes, a changed case, ``%2F`` for a separator.

``expected(cell, caller)`` is the answer python.org HEAD gives to the gate's own request for
that cell (release-api.md 1.1-1.2 and 1.5, and the frameworks' routing: Django's CommonMiddleware
redirects a path without its slash with 301; URL patterns are case-sensitive and do not match
``//``; the WSGI server decodes ``%2F`` before routing; DRF checks permissions before it looks
for the method's handler, Tastypie checks the method first). ``caller`` is a valid non-staff
credential (``USER``: the strongest negative one, authenticated but not allowed to write) or
the trusted staff principal (``STAFF``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from authfuzz.branches import Api
from authfuzz.spec import read_spec
from authfuzz.vocabulary import RESOURCES

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MISSING_PK = 987654321  # an id no deployment has: a write there must not create it


class Scope(Enum):
    LIST = "list"
    DETAIL = "detail"  # the run's canary object
    MISSING = "missing"  # an id that does not exist
    ACTION = "action"  # v2 release_file/delete_by_release/
    SET = "set"  # v1 <resource>/set/<canary>;<missing>/
    SCHEMA = "schema"  # v1 <resource>/schema/


class Variant(Enum):
    CANONICAL = "canonical"
    NO_SLASH = "no-slash"
    DOUBLE_SLASH = "double-slash"
    UPPER_CASE = "upper-case"
    ENCODED_SLASH = "encoded-slash"
    JSON_SUFFIX = "json-suffix"  # DRF's format suffix: os.json, os/5.json
    JSON_SUFFIX_SLASH = "json-suffix-slash"  # os.json/
    API_SUFFIX = "api-suffix"  # the browsable API's suffix, .api

    def spell(self, path: str) -> str:
        """``path`` (canonical, with its trailing slash) as this variant writes it."""
        if self is Variant.CANONICAL:
            return path
        if self is Variant.NO_SLASH:
            return path.rstrip("/")
        if self is Variant.DOUBLE_SLASH:
            return path.replace("/downloads/", "/downloads//", 1)
        if self is Variant.UPPER_CASE:
            return path.replace("/downloads/", "/Downloads/", 1)
        if self is Variant.ENCODED_SLASH:
            return path.replace("/downloads/", "/downloads%2F", 1)
        suffix = {
            Variant.JSON_SUFFIX: ".json",
            Variant.JSON_SUFFIX_SLASH: ".json/",
            Variant.API_SUFFIX: ".api",
        }[self]
        return path.rstrip("/") + suffix

    @property
    def routes(self) -> bool:
        """Whether HEAD routes this spelling to the canonical view at all."""
        return self in ROUTING


# The spellings HEAD routes to the same view as the canonical path (the others answer 301 or
# 404 whatever the method and caller).
ROUTING = frozenset(
    {Variant.CANONICAL, Variant.ENCODED_SLASH, Variant.JSON_SUFFIX, Variant.JSON_SUFFIX_SLASH}
)
_V2_ONLY = frozenset({Variant.JSON_SUFFIX, Variant.JSON_SUFFIX_SLASH, Variant.API_SUFFIX})


class Caller(Enum):
    USER = "user"  # a valid credential of a non-staff user
    STAFF = "staff"  # the trusted staff principal


@dataclass(frozen=True)
class RouteCell:
    api: Api
    resource: str
    scope: Scope
    variant: Variant
    method: str

    @property
    def template(self) -> str:
        """The canonical path, with ``{id}`` and ``{missing}`` for the ids the run fills in."""
        base = f"/api/{self.api.value}/downloads/{self.resource}/"
        return {
            Scope.LIST: base,
            Scope.DETAIL: base + "{id}/",
            Scope.MISSING: base + "{missing}/",
            Scope.ACTION: base + "delete_by_release/",
            Scope.SET: base + "set/{id};{missing}/",
            Scope.SCHEMA: base + "schema/",
        }[self.scope]

    def path(self, pk: int) -> str:
        """The path sent for this cell, ``pk`` being the canary's id."""
        filled = self.template.replace("{id}", str(pk)).replace("{missing}", str(MISSING_PK))
        return self.variant.spell(filled)

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def sort_key(self) -> tuple[str, int, int, int, int]:
        """The table's own order: API, resource, scope, spelling, method."""
        return (
            self.api.value,
            RESOURCES.index(self.resource),
            list(Scope).index(self.scope),
            list(Variant).index(self.variant),
            METHODS.index(self.method),
        )

    @property
    def label(self) -> str:
        """``v2 PUT release_file missing (json-suffix)``: how the matrix and findings name it."""
        return (
            f"{self.api.value} {self.method} {self.resource} {self.scope.value} "
            f"({self.variant.value})"
        )


def scopes(api: Api, resource: str) -> tuple[Scope, ...]:
    if api is Api.V1:
        return (Scope.LIST, Scope.DETAIL, Scope.MISSING, Scope.SET, Scope.SCHEMA)
    if resource == "release_file":
        return (Scope.LIST, Scope.DETAIL, Scope.MISSING, Scope.ACTION)
    return (Scope.LIST, Scope.DETAIL, Scope.MISSING)


def variants(api: Api) -> tuple[Variant, ...]:
    return tuple(v for v in Variant if api is Api.V2 or v not in _V2_ONLY)


def all_cells() -> tuple[RouteCell, ...]:
    return tuple(
        RouteCell(api, resource, scope, variant, method)
        for api in Api
        for resource in RESOURCES
        for scope in scopes(api, resource)
        for variant in variants(api)
        for method in METHODS
    )


@cache
def documented_pairs(spec: Path) -> frozenset[tuple[str, str]]:
    """(METHOD, path template) for every operation the spec documents, reads included."""
    document: Any = read_spec(Path(spec))
    pairs = set()
    for path, item in (document.get("paths") or {}).items():
        for method in item:
            if method.upper() in METHODS:
                pairs.add((method.upper(), path))
    return frozenset(pairs)


def is_documented(cell: RouteCell, spec: Path) -> bool:
    """A cell the spec documents (the other suites check those). A write to an id that does not
    exist is never documented: the spec's updates and deletes are of objects that exist."""
    if cell.variant is not Variant.CANONICAL or cell.scope is Scope.MISSING:
        return False
    return (cell.method, cell.template) in documented_pairs(spec)


def undocumented_cells(spec: Path) -> tuple[RouteCell, ...]:
    return tuple(c for c in all_cells() if not is_documented(c, spec))


# -- the answers at HEAD ---------------------------------------------------------------------


def expected(cell: RouteCell, caller: Caller) -> int:
    """The status python.org HEAD answers the gate's request for ``cell`` (the canary is an
    unpublished release, an OS, and a file of that release; bodies are valid for staff)."""
    if cell.variant is Variant.NO_SLASH:
        return 301
    if not cell.variant.routes:
        return 404
    if cell.api is Api.V1:
        return _v1(cell, caller)
    return _v2(cell, caller)


def _v1(cell: RouteCell, caller: Caller) -> int:
    """Tastypie: HEAD is not among the methods it lists (405); OPTIONS answers the Allow list;
    a method the endpoint does not allow is 405 before anyone is authenticated."""
    method, scope = cell.method, cell.scope
    if method == "OPTIONS":
        return 200
    allowed = _V1_ALLOWED[scope] | (
        {"DELETE"} if scope is Scope.LIST and cell.resource == "release_file" else set()
    )
    if method not in allowed:
        return 405
    staff = caller is Caller.STAFF
    if method == "GET":
        if scope is Scope.MISSING:
            return 404
        if cell.resource == "release" and scope in (Scope.DETAIL, Scope.SCHEMA) and not staff:
            return 401  # unpublished; schema/ runs read authorization on an unpublished object
        return 200
    if method == "POST":  # only on the list
        return 201 if staff else 401
    # DELETE: a detail, or the release_file list scoped to the canary's release
    if scope is Scope.MISSING:
        return 404
    if scope is Scope.LIST:
        return 204 if staff else 401
    return 204 if staff else 401


_V1_ALLOWED: dict[Scope, set[str]] = {
    Scope.LIST: {"GET", "POST"},
    Scope.DETAIL: {"GET", "DELETE"},
    Scope.MISSING: {"GET", "DELETE"},
    Scope.SET: {"GET"},
    Scope.SCHEMA: {"GET"},
}


def _v2(cell: RouteCell, caller: Caller) -> int:
    """DRF: authentication and permissions run before the handler is looked up, so a non-staff
    caller's unsafe method is 403 whether the route has it or not; staff reach the handler, and
    a method the route does not map is 405."""
    method, scope = cell.method, cell.scope
    staff = caller is Caller.STAFF
    safe = method in ("GET", "HEAD", "OPTIONS")
    if not safe and not staff:
        return 403
    if method == "OPTIONS":
        return 200
    allowed = _V2_ALLOWED[scope]
    if method not in allowed:
        return 405
    if scope is Scope.MISSING:
        return 404
    if scope is Scope.ACTION and cell.variant in _V2_ONLY:
        # DRF routes delete_by_release.json too and passes format="json" to an action that
        # takes no such argument: the call fails before it deletes anything (a TypeError, 500).
        return 500
    if method in ("GET", "HEAD"):
        if scope is Scope.DETAIL and cell.resource == "release" and not staff:
            return 404  # unpublished: not in a non-staff caller's queryset
        return 200
    return {"POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}[method]


_V2_ALLOWED: dict[Scope, set[str]] = {
    Scope.LIST: {"GET", "HEAD", "POST"},
    Scope.DETAIL: {"GET", "HEAD", "PUT", "PATCH", "DELETE"},
    Scope.MISSING: {"GET", "HEAD", "PUT", "PATCH", "DELETE"},
    Scope.ACTION: {"DELETE"},
}


def may_write(cell: RouteCell, caller: Caller) -> bool:
    """Whether HEAD lets ``caller`` change state through ``cell`` (a 2xx to a write)."""
    return cell.is_write and 200 <= expected(cell, caller) < 300
