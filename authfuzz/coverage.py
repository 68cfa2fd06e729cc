"""The branch x operation coverage matrix: which cells ran, found something, or were skipped.

Cells travel from tests (and xdist workers) to the controller in pytest's
``user_properties``; the controller merges them, so the matrix is the same
with or without ``-n``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from authfuzz.branches import Api, Branch

EXERCISED, FINDING, SKIPPED = "exercised", "finding", "skipped"
UNCHECKED = "not-checked"  # a fault, throttle, budget or time stopped it: the run cannot pass
_RANK = {SKIPPED: 0, UNCHECKED: 1, EXERCISED: 2, FINDING: 3}
_MARKS = {EXERCISED: "ok", FINDING: "XX", SKIPPED: "s", UNCHECKED: "??"}
PROPERTY = "authfuzz_cell"


@dataclass(frozen=True)
class Cell:
    api: str
    branch: str
    column: str  # operation column (os:C ...) or "probe"
    status: str
    reason: str = ""
    subform: str = ""  # the sub-form's labels, for the detailed matrix; "" for the example

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Cell:
        return cls(**json.loads(text))


@dataclass
class Matrix:
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)  # api -> ordered columns
    # (api, branch) -> sub-form -> (worst status, columns it ran on): the detailed view
    subforms: dict[tuple[str, str], dict[str, tuple[str, tuple[str, ...]]]] = field(
        default_factory=dict
    )

    def add(self, cell: Cell) -> None:
        if cell.subform:
            forms = self.subforms.setdefault((cell.api, cell.branch), {})
            status, where = forms.get(cell.subform, (EXERCISED, ()))
            if _RANK[cell.status] > _RANK[status]:
                status = cell.status
            forms[cell.subform] = (status, tuple(sorted({*where, cell.column})))
        key = (cell.api, cell.branch, cell.column)
        current = self.cells.get(key)
        if current is None or _RANK[cell.status] > _RANK[current.status]:
            self.cells[key] = cell
        order = self.columns.setdefault(cell.api, [])
        if cell.column not in order:
            order.append(cell.column)

    def __bool__(self) -> bool:
        return bool(self.cells)

    def counts(self) -> dict[str, int]:
        """Cells per state over every (branch, column) of the APIs the run reached.

        ``missing`` counts cells no test reported: the gap the matrix exists to show.
        """
        counts = {EXERCISED: 0, FINDING: 0, SKIPPED: 0, UNCHECKED: 0, "missing": 0}
        for api in Api:
            for column in self.columns.get(api.value, []):
                for branch in Branch.for_api(api):
                    cell = self.cells.get((api.value, branch.slug, column))
                    counts["missing" if cell is None else cell.status] += 1
        return counts

    def render_detailed(self) -> str:
        """The matrix, then every sub-form each branch ran, where, and how it ended."""
        lines = [self.render(), "", "sub-forms (each a fixed attempt; where it ran; status):"]
        for api in Api:
            for branch in Branch.for_api(api):
                forms = self.subforms.get((api.value, branch.slug))
                if not forms:
                    continue
                lines.append(f"{api.value} {branch.slug}: {len(forms)} sub-form(s)")
                for name, (status, where) in sorted(forms.items()):
                    lines.append(f"    {_MARKS[status]:>2}  {name}  [{' '.join(where)}]")
        return "\n".join(lines)

    def render(self) -> str:
        lines: list[str] = []
        reasons: dict[str, set[str]] = {}
        for api in Api:
            columns = self.columns.get(api.value)
            if not columns:
                continue
            columns = sorted(columns, key=lambda c: (c == "probe", c))
            width = max(len(b.slug) for b in Branch) + 2
            lines.append(f"{api.value}".ljust(width) + " ".join(c.rjust(6) for c in columns))
            for branch in Branch.for_api(api):
                row = []
                for column in columns:
                    cell = self.cells.get((api.value, branch.slug, column))
                    if cell is None:
                        row.append("--".rjust(6))
                        continue
                    row.append(_MARKS[cell.status].rjust(6))
                    if cell.status in (SKIPPED, UNCHECKED):
                        reasons.setdefault(cell.reason, set()).add(f"{api.value} {branch.slug}")
                lines.append(branch.slug.ljust(width) + " ".join(row))
            lines.append("")
        lines.append(
            "ok: exercised, no finding   XX: finding   s: skipped   ??: NOT checked   "
            "--: NOT exercised"
        )
        lines.append(
            "columns: C create, U update (PUT), P partial update (PATCH), D delete, B bulk delete;"
        )
        lines.append("         probe: identity probe (a GET of an unpublished release)")
        for reason, where in sorted(reasons.items()):
            why = reason if reason.startswith("not checked") else f"skipped ({reason})"
            lines.append(f"{why}: {', '.join(sorted(where))}")
        return "\n".join(lines)
