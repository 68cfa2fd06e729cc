"""The end of a run: its summary, its reports and its end screen, from what was collected.

Pure of hooks: the collector calls these once, in the controlling process, after custody has
said what the run left on the target.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from authfuzz.coverage import EXERCISED, FINDING, SKIPPED
from authfuzz.custody.custodian import StateReport
from authfuzz.plugin import config as run
from authfuzz.plugin.gathered import RunState
from authfuzz.reports.writer import RunRecord, write_reports
from authfuzz.run_summary import RunSummary
from authfuzz.throttles.plan import spend_against_limits
from authfuzz.verdict import Ending


def summarise(
    config: pytest.Config, state: RunState, target_state: StateReport | None
) -> RunSummary:
    early = run.early(config)
    if early is not None:
        redact = run.redactor(config)
        early = Ending(early.verdict, redact(early.reason) if redact else early.reason)
    target = None if run.refused_target(config) else run.configured_target(config)
    counts = state.matrix.counts()
    return RunSummary(
        target=config.getoption("target"),
        environment=target.environment.value if target is not None else "unknown",
        profile=settings.get_current_profile_name(),
        workers=run.processes(config),
        tests=state.tests,
        findings=state.findings,
        requests=state.requests,
        seconds=time.monotonic() - state.started,
        cells_exercised=counts[EXERCISED] + counts[FINDING],
        cells_skipped=counts[SKIPPED],
        cells_missing=counts["missing"],
        failed_without_finding=state.failed_without_finding,
        unconfirmed=[item.line() for item in state.unconfirmed],
        not_checked=list(state.not_checked.values()),
        target_state=target_state.to_dict() if target_state is not None else None,
        target_state_lines=[target_state.line(), *target_state.details()]
        if target_state is not None
        else [],
        throttle_use=spend_against_limits(
            state.requests.spent(), target.throttles if target is not None else None
        ),
        collected=state.collected,
        interrupted=state.interrupted,
        workers_lost=list(state.workers_lost),
        early=early,
        unreachable=state.unreachable,
        started_at=state.started_at,
        defects=str(config.getoption("defects") or ""),
        baseline=state.baseline,
    )


def write(config: pytest.Config, state: RunState, summary: RunSummary) -> list[Any]:
    """Every report of the run (the one place that writes them); the PoC files exported."""
    target = config.stash.get(run.TARGET, None)
    xmlpath = getattr(config.option, "xmlpath", None)
    record = RunRecord(
        summary,
        state.matrix,
        state.routes,
        state.dimensions,
        state.spent_by_test,
        state.purposes_by_test,
        target.principals if target is not None else None,
    )
    # pytest has written its JUnit file by now (its sessionfinish runs before this one).
    return write_reports(
        Path(config.getoption("report_dir")), record, Path(xmlpath) if xmlpath else None
    )


def end_screen(state: RunState, reporter: Any, summary: RunSummary) -> None:
    """The coverage grids, then the verdict and its lines, at the very end of the output."""
    from authfuzz.poc.export import accounting, describe
    from authfuzz.reports import terminal_report

    if state.matrix:
        reporter.section("authfuzz: branch x operation coverage")
        detailed = reporter.config.getoption("matrix", "summary") == "detailed"
        reporter.write_line(state.matrix.render_detailed() if detailed else state.matrix.render())
    if state.routes:
        reporter.section("authfuzz: route surface (spelling x method)")
        reporter.write_line(state.routes.render())
    if state.dimensions:
        reporter.section("authfuzz: input space (dimension x cell)")
        reporter.write_line(state.dimensions.render())
    reporter.section(
        terminal_report.title(summary),
        green=summary.verdict == "pass",
        red=summary.verdict != "pass",
        bold=True,
    )
    report_dir = Path(reporter.config.getoption("report_dir"))
    exported = state.exported
    pocs = any(e.path for e in exported)
    pocs_line = describe(accounting(exported)) if exported else ""
    # pytest's own closing line counts failed reports, one per failed subtest: say so
    # where it differs, so the run has one set of counts and one explanation.
    pytest_failed = len(reporter.stats.get("failed", []))
    for line in terminal_report.render(summary, report_dir, pocs, pocs_line, pytest_failed):
        reporter.write_line(line)
