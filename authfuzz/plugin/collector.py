"""Gathers cells, findings, outcomes and request counts from every test report.

With pytest-xdist the controller's instance sees every worker's reports; each worker's own
instance only ships its final request count and custody report back (``wire``). At the end
the controller settles custody, journals the spend, and hands over to ``closing``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from authfuzz.baseline import Baseline, BaselineError
from authfuzz.client import TargetUnreachableError
from authfuzz.coverage import PROPERTY, Cell
from authfuzz.custody.custodian import SharedCustody, StateReport
from authfuzz.custody.reconcile import Reconciliation
from authfuzz.dimension_matrix import PROPERTY as DIMENSION_PROPERTY
from authfuzz.dimension_matrix import DimensionMark
from authfuzz.engine.engine import Unconfirmed
from authfuzz.findings import Finding
from authfuzz.not_checked import NotChecked
from authfuzz.plugin import closing
from authfuzz.plugin import config as run
from authfuzz.plugin.gathered import RunState
from authfuzz.plugin.planning import journal_of
from authfuzz.plugin.wire import REQUESTS, final_figures, hand_back
from authfuzz.progress import Progress
from authfuzz.run_summary import CUSTODY, NotCheckedTest, RunSummary
from authfuzz.signals import SignalWatch
from authfuzz.state import ReadBackError
from authfuzz.surface.matrix import PROPERTY as ROUTE_PROPERTY
from authfuzz.surface.matrix import RouteMark
from authfuzz.targets import DEFAULT_TARGET, Target
from authfuzz.throttles import spending
from authfuzz.verdict import DecidedExit, Ending, Verdict

_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def _test_of(report: pytest.TestReport) -> str:
    """The test a report belongs to: a subtest's report (Schemathesis files one per operation)
    carries its own ``[label]`` after the test's node id, and counts towards that test."""
    if isinstance(report, pytest.SubtestReport):
        context = report.context
        for name in (context.msg, *map(str, context.kwargs.values())):
            suffix = f"[{name}]"
            if name and report.nodeid.endswith(suffix):
                return report.nodeid[: -len(suffix)]
    return report.nodeid


class RunCollector:
    """Gathers cells, findings, outcomes and request counts from every report.

    With pytest-xdist the controller's instance sees every worker's reports; each worker's
    own instance only ships its final request count back (``workeroutput``).
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = RunState()
        self.progress = Progress(self.state.started, config.getoption("progress_every"))
        self.summary: RunSummary | None = None
        self.shared: SharedCustody | None = None  # custody of a shared target, if this is one
        self.states: list[StateReport] = []  # custody reports of the workers' own testbeds
        self.during = Reconciliation()  # what the workers' protectors put back
        # A run of the gate's suites (``--collect-only`` runs nothing, so it has no verdict).
        self.gate = any(run.in_suites(a) for a in config.args) and not config.option.collectonly
        self.signals = SignalWatch()

    # -- during the run ------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)  # custody before xdist starts its workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A gate run starts by removing the last run's reports, then takes custody.

        Old reports go, or a run that stops early (a bad targets file, an unreachable target)
        would leave the previous verdict behind for a CI artifact or code scanning to pick up.
        Custody of a shared target is taken here, before any worker exists: whatever tests run
        against a target named with ``--target`` (the gate's suites or one's own) are covered.
        """
        self.signals.install()
        if run.is_worker(self.config):
            return
        gate = self.gate
        if gate:
            from authfuzz.reports.writer import remove_reports

            remove_reports(Path(self.config.getoption("report_dir")))
        if self.config.getoption("baseline"):
            try:
                self.state.baseline = Baseline.load(Path(self.config.getoption("baseline")))
            except BaselineError as error:
                run.end_early(self.config, Ending(Verdict.REFUSED, str(error)))
                return
        if gate or self.config.getoption("target") != DEFAULT_TARGET:
            target = run.configured_target(self.config)
            if target.start != "testbed":
                self._open_shared_custody(target)

    def _open_shared_custody(self, target: Target) -> None:
        """Read a shared target whole before any test can write to it."""
        try:
            self.shared = SharedCustody.open(target, run.journals(self.config))
        except TargetUnreachableError as error:
            run.end_early(self.config, Ending(Verdict.UNREACHABLE, str(error)))
        except NotChecked as error:
            run.end_early(
                self.config,
                Ending(
                    Verdict.UNREACHABLE,
                    f"target {target.name!r}: its data could not be read before the run, so "
                    f"nothing a defect destroys could be put back: {error.reason}",
                ),
            )
        except ReadBackError as error:
            run.end_early(self.config, Ending(Verdict.ERROR, f"target {target.name!r}: {error}"))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.progress.total = len(session.items) or None

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.progress.total = max(self.progress.total or 0, len(ids)) or None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if not isinstance(value, str):
                continue
            if name == PROPERTY:
                self.state.matrix.add(Cell.from_json(value))
            elif name == ROUTE_PROPERTY:
                self.state.routes.add(RouteMark.from_json(value))
            elif name == DIMENSION_PROPERTY:
                self.state.dimensions.add(DimensionMark.from_json(value))
            elif name == run.FINDING_PROPERTY:
                self.state.with_findings.add(_test_of(report))
                self._add_finding(Finding.from_dict(json.loads(value)))
            elif name == run.REQUESTS_PROPERTY:
                data = json.loads(value)
                self.state.requests.add(
                    data["worker"], data["sent"], data["budget_limit"], data["budget_left"]
                )
                spent = self.state.spent_by_test.setdefault(report.nodeid, {})
                for label, n in data.get("spent", {}).items():
                    spent[label] = spent.get(label, 0) + n
                why = self.state.purposes_by_test.setdefault(report.nodeid, {})
                for label, n in data.get("purposes", {}).items():
                    why[label] = why.get(label, 0) + n
            elif name == run.NOT_CHECKED_PROPERTY:
                record = NotCheckedTest.from_json(value)
                self.state.not_checked.setdefault(record.nodeid, record)
            elif name == run.UNREACHABLE_PROPERTY:
                self.state.unreachable = self.state.unreachable or value
            elif name == run.UNCONFIRMED_PROPERTY:
                self.state.unconfirmed.append(Unconfirmed.from_json(value))
        self._count(report)

    def _add_finding(self, finding: Finding) -> None:
        if finding in self.state.findings:
            return
        self.state.findings.append(finding)
        if not run.is_worker(self.config):
            self._write_line(self.progress.announce(finding))

    def _count(self, report: pytest.TestReport) -> None:
        """One outcome per test: the worst of its phases and subtests, settled at teardown."""
        outcomes = self.state.outcomes
        nodeid = _test_of(report)
        outcome = report.outcome if report.outcome in _RANK else "failed"
        if report.when == "call" and isinstance(report, pytest.SubtestReport):
            outcome = "failed" if report.failed else "passed"  # a skipped subtest is no verdict
        current = outcomes.get(nodeid, "passed")
        if _RANK[outcome] > _RANK[current]:
            current = outcome
        outcomes[nodeid] = current
        if report.when != "teardown":
            return
        del outcomes[report.nodeid]
        tests = self.state.tests
        setattr(tests, current, getattr(tests, current) + 1)
        if current == "failed" and report.nodeid not in self.state.with_findings:
            self.state.failed_without_finding.append(report.nodeid)
        if not run.is_worker(self.config) and self._gated:
            self._write_line(
                self.progress.status(
                    time.monotonic(), tests, len(self.state.findings), self.state.requests
                )
            )

    @property
    def _gated(self) -> bool:
        """Whether this session ran gate checks; the harness's own tests have nothing to say."""
        state = self.state
        return bool(state.requests.workers or state.matrix or state.findings)

    def _write_line(self, line: str | None) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not line or reporter is None:
            return
        if reporter._tw.width_of_current_line:  # mid-way through a line of progress dots
            reporter.write("\n")
        reporter.write_line(line)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C, SIGTERM (see ``signals``): not the stop an unreachable target asks for."""
        if excinfo.type is KeyboardInterrupt:
            self.state.interrupted = self.signals.interrupted_by()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if error is not None:
            self.state.workers_lost.append(str(getattr(node.gateway, "id", "a worker")))
        output = getattr(node, "workeroutput", {})
        final = output.get(run.REQUESTS_PROPERTY)
        if final:
            self.state.requests.settle(**final)
        if run.STATE_OUTPUT in output:
            self.states.append(StateReport.from_dict(output[run.STATE_OUTPUT]))
        elif error is not None and run.configured_target(self.config).start == "testbed":
            # A worker that died took its own testbed (and everything on it) with it.
            self.states.append(StateReport(note=f"a worker ended without a report ({error})"))
        during = output.get(run.DURING_OUTPUT)
        if during:
            self.during.restored += during.get("restored", [])
            self.during.failed += during.get("failed", [])

    # -- at the end ----------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)  # after the session fixtures' teardown (custody's end)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if run.is_worker(self.config):
            hand_back(self.config)
        counter = self.config.stash.get(REQUESTS, None)
        if counter is not None:  # exact, after the session fixtures' teardown requests
            client = counter.client
            final = final_figures(run.worker_id(self.config), client)
            if run.is_worker(self.config):
                self.config.workeroutput[run.REQUESTS_PROPERTY] = final  # type: ignore[attr-defined]
                return
            self.state.requests.settle(**final)
        self.signals.restore()
        if run.is_worker(self.config):
            return
        target_state = self._target_state()
        self._journal_the_spend()
        if self.gate or self._gated:
            self.state.collected = self.progress.total
            self.summary = closing.summarise(self.config, self.state, target_state)
            self.state.exported = closing.write(self.config, self.state, self.summary)
            # The one verdict decides the exit code, whatever pytest's own would have been.
            session.exitstatus = self.summary.ending.exit_code
            for plugin in self.config.pluginmanager.get_plugins():
                if isinstance(plugin, DecidedExit):
                    plugin.code = self.summary.ending.exit_code

    def _journal_the_spend(self) -> None:
        """What this run counted goes into the target's spend journal, for the next plan."""
        target = self.config.stash.get(run.TARGET, None)
        if target is None or run.early(self.config) is not None:
            return
        journal = journal_of(self.config, target)
        if journal is None:
            return
        try:
            spending.record_run(
                journal, target, self.state.requests.spent(), self.state.requests.closed()
            )
        except OSError as error:  # a read-only cache must not cost the run its verdict
            self._write_line(f"authfuzz: spend journal {journal.path} not written: {error}")

    def _target_state(self) -> StateReport | None:
        """What the run did to the target's data, from whoever kept custody of it."""
        if run.STATE in self.config.stash:  # no xdist: this process had its own testbed
            self.states.append(StateReport.from_dict(self.config.stash[run.STATE]))
        if run.DURING in self.config.stash:  # no xdist, shared target
            self.during.extend(self.config.stash[run.DURING])
        report: StateReport | None = None
        if self.shared is not None:
            report = self.shared.close(self.during)
            self.state.requests.settle(**final_figures(CUSTODY, self.shared.client))
        elif self.states:
            report = StateReport.merged(self.states)
        journals = self.config.stash.get(run.JOURNALS, None)
        if journals is not None:
            if (
                report is not None
                and self.shared is not None
                and (report.left or not report.checked)
            ):
                extra = (
                    f"the run's ledger (what it created) is kept in {journals}; once the "
                    f"target is back: authfuzz clean --ledger {journals} --target "
                    f"{self.config.getoption('target')}"
                )
                report.note = f"{report.note}; {extra}" if report.note else extra
            else:
                shutil.rmtree(journals, ignore_errors=True)
        return report

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if self.summary is not None:  # a gate run, in the controlling process
            closing.end_screen(self.state, terminalreporter, self.summary)
