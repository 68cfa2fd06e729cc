"""One run as every output format sees it, and the shape of a format.

A format is a module with the file name it owns (``FILE``) and ``report(view) -> str``: it
renders, it never writes. ``writer`` is the one place that turns views into files, so every
format gets the same view of the same run, on every ending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from authfuzz.coverage import Matrix
from authfuzz.dimension_matrix import DimensionMatrix
from authfuzz.findings import Finding
from authfuzz.surface.matrix import RouteMatrix


@dataclass(frozen=True)
class ReportView:
    findings: list[Finding]
    summary: dict[str, object]  # RunSummary.to_dict(), with the PoC files' accounting
    matrix: Matrix = field(default_factory=Matrix)
    routes: RouteMatrix = field(default_factory=RouteMatrix)
    dimensions: DimensionMatrix = field(default_factory=DimensionMatrix)
    spent_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    purposes_by_test: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def routes_text(self) -> str:
        return self.routes.render() if self.routes else ""


class Format(Protocol):
    FILE: str

    def report(self, view: ReportView) -> str: ...
