"""The one place that writes a run's report files, on every ending.

Every format renders the same ``RunSummary`` (its verdict decided once, in
``authfuzz.verdict``), so the files cannot disagree; and every ending writes all of them: a
run refused before pytest starts, one that found the target is not the API, one interrupted
half-way. A CI artifact then always holds this run's verdict and its reason, never an empty
folder or, worse, the previous run's PASS (``remove_reports`` runs first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from authfuzz.coverage import Matrix
from authfuzz.dimension_matrix import DimensionMatrix
from authfuzz.poc.export import Exported, accounting, export_findings, remove_exports
from authfuzz.principals import Principals
from authfuzz.reports import (
    coverage_report,
    html_report,
    json_report,
    junit_report,
    markdown_report,
    requests_report,
    sarif_report,
)
from authfuzz.reports.view import Format, ReportView
from authfuzz.run_summary import RunSummary
from authfuzz.surface.matrix import RouteMatrix

# Every file format of a run, in the order they are written.
FORMATS: tuple[Format, ...] = (
    json_report,
    requests_report,
    markdown_report,
    coverage_report,
    sarif_report,
    html_report,
)
REPORT_FILES = tuple(fmt.FILE for fmt in FORMATS)
POCS = "pocs"


@dataclass
class RunRecord:
    """Everything the reports render: the summary and what the collector gathered."""

    summary: RunSummary
    matrix: Matrix = field(default_factory=Matrix)
    routes: RouteMatrix = field(default_factory=RouteMatrix)
    dimensions: DimensionMatrix = field(default_factory=DimensionMatrix)
    spent_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    purposes_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    principals: Principals | None = None


def remove_reports(directory: Path) -> None:
    """No earlier verdict stays behind: the reports and PoC files of the last run go first."""
    for name in REPORT_FILES:
        (directory / name).unlink(missing_ok=True)
    remove_exports(directory / POCS)


def write_reports(directory: Path, record: RunRecord, junit: Path | None = None) -> list[Exported]:
    """Every report of the run, and its PoC files; the verdict added to pytest's JUnit file."""
    directory.mkdir(parents=True, exist_ok=True)
    exported = export_findings(record.summary.findings, directory / POCS, record.principals)
    data = record.summary.to_dict()
    data["pocs"] = accounting(exported)
    view = ReportView(
        record.summary.findings,
        data,
        record.matrix,
        record.routes,
        record.dimensions,
        record.spent_by_test,
        record.purposes_by_test,
    )
    for fmt in FORMATS:
        (directory / fmt.FILE).write_text(fmt.report(view), encoding="utf-8")
    if junit is not None:
        junit_report.annotate(junit, data)
    return exported
