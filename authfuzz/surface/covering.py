"""Which route cells each check sends: all of them where they differ, one of each where not.

The full cross product is 1,053 undocumented cells per caller. Where the frameworks route a
spelling to the real view (``ROUTING``: the canonical path, ``%2F``, the ``.json`` suffixes),
the answer depends on the resource, the scope and the method, so a non-staff caller gets every
one of those cells. A spelling HEAD does not route at all (no slash, ``//``, a changed case,
``.api``) is refused by the URL resolver before any view, the same way for every resource: a
defect there is an extra URL pattern, for some resource. Those spellings are covered so that
every (spelling, scope, method) runs once and every (resource, scope, method) runs under some
non-routing spelling: the resource rotates with the spelling (a Latin-square walk; there are
at least as many such spellings as resources). Staff is only sent where no caller may write
at HEAD (405, 404 and 301 cells): the canonical path in full, and every other (scope, method)
once, under a spelling and a resource that take turns (the non-staff check has already sent
each of those cells; this one adds that staff may not write there either). A cell of a check
is never sent twice in a run.
"""

from __future__ import annotations

from pathlib import Path

from authfuzz.branches import Api
from authfuzz.surface.table import (
    METHODS,
    RESOURCES,
    Caller,
    RouteCell,
    Scope,
    Variant,
    may_write,
    scopes,
    undocumented_cells,
    variants,
)

GROUPS: dict[Caller, tuple[str, ...]] = {
    Caller.USER: ("routing", "non-routing"),
    Caller.STAFF: ("all",),  # few cells: one batch (one read-back) per API
}


def covering(spec: Path, api: Api, caller: Caller, group: str) -> tuple[RouteCell, ...]:
    """The cells the (api, caller, group) check sends."""
    cells = [c for c in undocumented_cells(spec) if c.api is api]
    if caller is Caller.STAFF:
        cells = [c for c in cells if c.is_write and not may_write(c, Caller.STAFF)]
        canonical = [c for c in cells if c.variant is Variant.CANONICAL]
        others = [c for c in cells if c.variant is not Variant.CANONICAL]
        return tuple(canonical + _once_per_scope_and_method(others))
    routing = group == "routing"
    cells = [c for c in cells if c.variant.routes == routing]
    return tuple(c for c in cells if c.variant.routes or _rotation_picks(c))


def _rotation_picks(cell: RouteCell) -> bool:
    spellings = [v for v in variants(cell.api) if v.routes == cell.variant.routes]
    spellings = [v for v in spellings if v is not Variant.CANONICAL]
    owners = [r for r in RESOURCES if cell.scope in scopes(cell.api, r)]
    scope_index = list(Scope).index(cell.scope)
    turn = spellings.index(cell.variant) + METHODS.index(cell.method) + scope_index
    return owners[turn % len(owners)] == cell.resource


def _once_per_scope_and_method(cells: list[RouteCell]) -> list[RouteCell]:
    """One cell per (scope, method), the spelling and the resource taking turns."""
    by_pair: dict[tuple[Scope, str], list[RouteCell]] = {}
    for cell in sorted(cells, key=lambda c: (list(Variant).index(c.variant), c.resource)):
        by_pair.setdefault((cell.scope, cell.method), []).append(cell)
    picked = []
    for (scope, method), candidates in sorted(by_pair.items(), key=lambda kv: str(kv[0])):
        turn = METHODS.index(method) * 3 + list(Scope).index(scope)
        picked.append(candidates[turn % len(candidates)])
    return picked
