"""The input-space coverage: per dimension, which of its cells the run sent, and how they ended.

The third matrix beside the branch x operation one and the route surface's: the dimensions a
negative attempt varies along (``strategies.dimensions``) and their cells. A check records a
mark for every cell its dimension declares, so a cell nothing was sent for shows as NOT
exercised, never as absent. Marks travel like the others (``user_properties``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED

PROPERTY = "authfuzz_dimension_mark"
MISSING = "missing"
_RANK = {MISSING: 0, SKIPPED: 1, UNCHECKED: 2, EXERCISED: 3, FINDING: 4}
_WORDS = {
    EXERCISED: "ok",
    FINDING: "FINDING",
    SKIPPED: "skipped",
    UNCHECKED: "NOT checked",
    MISSING: "NOT exercised",
}


@dataclass(frozen=True)
class DimensionMark:
    dimension: str
    question: str
    cell: str
    status: str
    reason: str = ""

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DimensionMark:
        return cls(**json.loads(text))


def worse(a: DimensionMark, b: DimensionMark) -> DimensionMark:
    """The mark that says more: a finding over not checked over exercised over skipped."""
    return a if _RANK[a.status] >= _RANK[b.status] else b


@dataclass
class DimensionMatrix:
    cells: dict[str, dict[str, DimensionMark]] = field(default_factory=dict)  # dim -> cell -> mark

    def add(self, mark: DimensionMark) -> None:
        mine = self.cells.setdefault(mark.dimension, {})
        current = mine.get(mark.cell)
        if current is None or _RANK[mark.status] > _RANK[current.status]:
            mine[mark.cell] = mark

    def __bool__(self) -> bool:
        return bool(self.cells)

    def missing(self) -> int:
        return sum(
            1 for cells in self.cells.values() for m in cells.values() if m.status == MISSING
        )

    def render(self) -> str:
        lines = []
        width = max((len(d) for d in self.cells), default=0) + 2
        for dimension, cells in self.cells.items():
            by = {status: [c for c, m in cells.items() if m.status == status] for status in _RANK}
            sent = len(by[EXERCISED]) + len(by[FINDING])
            line = f"{dimension:<{width}}{sent}/{len(cells)} cells exercised"
            for status in (FINDING, UNCHECKED, SKIPPED, MISSING):
                if by[status]:
                    shown = ", ".join(by[status][:6]) + (" ..." if len(by[status]) > 6 else "")
                    line += f"; {_WORDS[status]}: {shown}"
            lines.append(line)
        return "\n".join(lines)

    def render_detailed(self) -> str:
        lines = []
        for dimension, cells in self.cells.items():
            question = next(iter(cells.values())).question
            lines.append(f"{dimension}: {question}")
            for cell, mark in cells.items():
                why = f" ({mark.reason})" if mark.reason else ""
                lines.append(f"  {_WORDS[mark.status]:<13} {cell}{why}")
        return "\n".join(lines)
