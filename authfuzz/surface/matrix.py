"""The route-surface matrix: per API, spelling x method, and how its cells ended.

A second, small matrix beside the branch x operation one: the route surface has its own
dimensions (the path's spelling, the method), and each of its marks stands for the cells of
every resource and scope under that spelling and method, for both callers. Marks travel from
the tests to the controller like the branch matrix's cells (``user_properties``), already
counted per (api, spelling, method, caller), so xdist changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from authfuzz.branches import Api
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED
from authfuzz.surface.table import METHODS, Variant, variants

PROPERTY = "authfuzz_route_mark"
_RANK = {SKIPPED: 0, UNCHECKED: 1, EXERCISED: 2, FINDING: 3}
_MARKS = {EXERCISED: "ok", FINDING: "XX", SKIPPED: "s", UNCHECKED: "??"}


@dataclass(frozen=True)
class RouteMark:
    api: str
    variant: str
    method: str
    caller: str
    counts: dict[str, int]  # status -> cells
    reasons: tuple[str, ...] = ()  # why cells were skipped or not checked

    def to_json(self) -> str:
        return json.dumps({**self.__dict__, "reasons": list(self.reasons)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RouteMark:
        data = json.loads(text)
        return cls(**{**data, "reasons": tuple(data.get("reasons", ()))})


@dataclass
class RouteMatrix:
    # (api, variant, method) -> status -> cells, over both callers
    counts: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    by_caller: dict[str, dict[str, int]] = field(default_factory=dict)  # caller -> status -> n
    reasons: set[str] = field(default_factory=set)

    def add(self, mark: RouteMark) -> None:
        key = (mark.api, mark.variant, mark.method)
        here = self.counts.setdefault(key, {})
        mine = self.by_caller.setdefault(mark.caller, {})
        for status, n in mark.counts.items():
            here[status] = here.get(status, 0) + n
            mine[status] = mine.get(status, 0) + n
        self.reasons.update(mark.reasons)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def total(self, status: str) -> int:
        return sum(c.get(status, 0) for c in self.by_caller.values())

    def render(self) -> str:
        lines: list[str] = []
        width = max(len(v.value) for v in Variant) + 2
        for api in Api:
            if not any(k[0] == api.value for k in self.counts):
                continue
            lines.append(f"{api.value} routes".ljust(width) + " ".join(m.rjust(7) for m in METHODS))
            for variant in variants(api):
                row = [self._mark(api.value, variant.value, m).rjust(7) for m in METHODS]
                lines.append(variant.value.ljust(width) + " ".join(row))
            lines.append("")
        parts = []
        for caller, counts in sorted(self.by_caller.items()):
            sent = counts.get(EXERCISED, 0) + counts.get(FINDING, 0)
            parts.append(f"{caller} {sent:,}")
        lines.append(
            f"route cells sent: {', '.join(parts)}; findings {self.total(FINDING)}, "
            f"skipped {self.total(SKIPPED)}, NOT checked {self.total(UNCHECKED)}"
        )
        lines.append(
            "each mark: every resource and scope (list, object, missing id, extra routes) "
            "under that spelling and method, non-staff and staff callers"
        )
        lines += [f"  {reason}" for reason in sorted(self.reasons)]
        return "\n".join(lines)

    def _mark(self, api: str, variant: str, method: str) -> str:
        counts = self.counts.get((api, variant, method))
        if not counts:
            return "--"
        worst = max(counts, key=lambda status: _RANK[status])
        return _MARKS[worst]


def marks_of(
    api: Api, caller: str, statuses: dict[tuple[str, str], dict[str, int]], reasons: set[str]
) -> list[RouteMark]:
    """One mark per (spelling, method) from a check's per-cell statuses."""
    return [
        RouteMark(api.value, variant, method, caller, counts, tuple(sorted(reasons)))
        for (variant, method), counts in sorted(statuses.items())
    ]
