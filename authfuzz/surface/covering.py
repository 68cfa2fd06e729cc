"""Which route cells each check sends: every one for a non-staff caller, a covering set for staff.

The non-staff caller is sent every undocumented cell (1,053): its requests are counted, if at
all, in that user's own throttle buckets, and a spelling HEAD refuses is exactly where a defect
adds a URL pattern for one resource and one method, so no cell there stands for another.
Staff is only sent where no one may write at HEAD (405, 404 and 301 cells), and those requests
are what the staff token's daily budget pays for: the canonical path in full, and every other
(scope, method) once, under a spelling and a resource that take turns (the non-staff check has
already sent each of those cells; this one adds that staff may not write there either). A cell
of a check is never sent twice in a run.
"""

from __future__ import annotations

from pathlib import Path

from authfuzz.branches import Api
from authfuzz.surface.table import (
    METHODS,
    Caller,
    RouteCell,
    Scope,
    Variant,
    may_write,
    undocumented_cells,
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
    return tuple(c for c in cells if c.variant.routes == routing)


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
