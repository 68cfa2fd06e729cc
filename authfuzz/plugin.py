"""The pytest plugin: options, Hypothesis profiles, target fixtures and the run's reports.

Everything pytest-facing lives here. Tests ask for ``authfuzz_workbench`` (or
the smaller fixtures) and for the parametrized ``write_operation``,
``branch_case`` and ``probe_case`` arguments; cells and findings travel back in
``user_properties`` so that pytest-xdist workers and a plain run report alike.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from authfuzz.branches import Api, Branch
from authfuzz.client import ApiRequest, Client, TargetUnreachableError
from authfuzz.coverage import PROPERTY, Cell, Matrix
from authfuzz.findings import Finding, FindingError
from authfuzz.operations import SpecError, write_operations
from authfuzz.targets import Environment, Target, TargetsFileError, load_target
from authfuzz.workbench import Workbench

FINDING_PROPERTY = "authfuzz_finding"
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile("dev", max_examples=15, **_COMMON)  # type: ignore[arg-type]
# ci skips shrinking (and explain, which re-runs the test): against a real target every
# shrink step is another write attempt, and a gate needs the verdict, not the minimal
# example; each finding already carries a replayable request and a PoC file.
settings.register_profile(
    "ci",
    max_examples=8,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    **_COMMON,  # type: ignore[arg-type]
)
settings.register_profile("deep", max_examples=300, **_COMMON)  # type: ignore[arg-type]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authfuzz", "authfuzz security gate")
    group.addoption(
        "--target", default="testbed", help="target name in the targets file (default: testbed)"
    )
    group.addoption(
        "--targets-file",
        default=os.environ.get("AUTHFUZZ_TARGETS_FILE", "targets.toml"),
        help="targets file (default: $AUTHFUZZ_TARGETS_FILE or ./targets.toml)",
    )
    group.addoption(
        "--defects", default="", help="defect switches for an auto-started testbed (a,b)"
    )
    group.addoption("--report-dir", default="authfuzz-report", help="where findings.json/.md go")
    group.addoption(
        "--as-production",
        action="store_true",
        help="treat the target as production: no request that could change state is sent",
    )


@dataclass
class RunState:
    """What the controller gathers from every test report (also from xdist workers)."""

    matrix: Matrix = field(default_factory=Matrix)
    findings: list[Finding] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


_TARGET = pytest.StashKey[Target]()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RunCollector(config), "authfuzz-run-collector")
    if config.getoption("hypothesis_profile", None) in (None, "default"):
        settings.load_profile(
            "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
        )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def configured_target(config: pytest.Config) -> Target:
    """The target named on the command line, validated once per process."""
    if _TARGET not in config.stash:
        try:
            target = load_target(Path(config.getoption("targets_file")), config.getoption("target"))
        except TargetsFileError as error:
            pytest.exit(f"authfuzz: {error}", returncode=2)
        if config.getoption("defects") and target.start != "testbed":
            pytest.exit(
                f'authfuzz: --defects needs a target with start = "testbed"; {target.name!r} is '
                f"{target.environment.value} at {target.base_url}",
                returncode=2,
            )
        if config.getoption("as_production"):
            target = target.with_environment(Environment.PRODUCTION)
        config.stash[_TARGET] = target
    return config.stash[_TARGET]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if not {"write_operation", "branch_case", "probe_case"} & set(names):
        return
    target = configured_target(metafunc.config)
    try:
        operations = write_operations(target.spec)
    except SpecError as error:
        pytest.exit(f"authfuzz: {error}", returncode=2)
    if "write_operation" in names:
        metafunc.parametrize(
            "write_operation", operations, ids=[op.operation_id for op in operations]
        )
    if "branch_case" in names:
        cases = [(op, b) for op in operations for b in Branch.for_api(op.api)]
        metafunc.parametrize(
            "branch_case", cases, ids=[f"{op.operation_id}-{b.slug}" for op, b in cases]
        )
    if "probe_case" in names:
        probes = [(api, b) for api in Api for b in Branch.for_api(api)]
        metafunc.parametrize(
            "probe_case", probes, ids=[f"{api.value}-{b.slug}" for api, b in probes]
        )


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def authfuzz_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The configured target, with the embedded testbed started when it asks for one."""
    target = configured_target(request.config)
    if target.start != "testbed":
        yield target
        return
    from testbed.defects import UnknownDefectError
    from testbed.runner import Testbed, TestbedStartError

    try:
        testbed = Testbed(defects=request.config.getoption("defects").split(","))
        info = testbed.start()
    except (UnknownDefectError, TestbedStartError) as error:
        pytest.exit(f"authfuzz: cannot start the testbed: {error}", returncode=2)
    try:
        yield target.with_base_url(info.base_url)
    finally:
        testbed.stop()


@pytest.fixture(scope="session")
def authfuzz_client(request: pytest.FixtureRequest, authfuzz_target: Target) -> Iterator[Client]:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    client = Client(authfuzz_target, share=workers)
    try:
        client.send(ApiRequest("GET", "/api/v1/"))
    except TargetUnreachableError as error:
        pytest.exit(f"authfuzz: {error}", returncode=3)
    yield client
    client.close()


@pytest.fixture(scope="session")
def authfuzz_workbench(authfuzz_target: Target, authfuzz_client: Client) -> Iterator[Workbench]:
    workbench = Workbench(authfuzz_target, authfuzz_client)
    yield workbench
    workbench.close()


@pytest.fixture
def authfuzz_cells(record_property: Any) -> Iterator[list[Cell]]:
    """Cells a test exercised; recorded for the matrix when the test ends, however it ends."""
    cells: list[Cell] = []
    yield cells
    for cell in {c.to_json(): c for c in cells}.values():
        record_property(PROPERTY, cell.to_json())


# -- collecting results ---------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.excinfo is not None:
        for finding in _findings_in(call.excinfo.value):
            report.user_properties.append((FINDING_PROPERTY, finding.to_json()))
    return report


def _findings_in(error: BaseException) -> list[Finding]:
    if isinstance(error, FindingError):
        return list(error.findings)
    if isinstance(error, BaseExceptionGroup):
        return [f for inner in error.exceptions for f in _findings_in(inner)]
    return []


class RunCollector:
    """Gathers cells and findings from every report (xdist ships worker reports here)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = RunState()
        self.exported: list[Any] = []  # PoC files written from the findings

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if not isinstance(value, str):
                continue
            if name == PROPERTY:
                self.state.matrix.add(Cell.from_json(value))
            elif name == FINDING_PROPERTY:
                finding = Finding.from_dict(json.loads(value))
                if finding not in self.state.findings:
                    self.state.findings.append(finding)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_worker(self.config) or (not self.state.matrix and not self.state.findings):
            return
        from authfuzz.reports import html_report, json_report, markdown_report, sarif_report

        directory = Path(self.config.getoption("report_dir"))
        directory.mkdir(parents=True, exist_ok=True)
        summary = {
            "target": self.config.getoption("target"),
            "findings": len(self.state.findings),
            "seconds": round(time.monotonic() - self.state.started, 1),
        }
        json_report.write(directory / "findings.json", self.state.findings, summary)
        markdown_report.write(
            directory / "findings.md", self.state.findings, summary, self.state.matrix.render()
        )
        sarif_report.write(
            directory / "findings.sarif", self.state.findings, summary, self.state.matrix
        )
        html_report.write(
            directory / "report.html", self.state.findings, summary, self.state.matrix
        )
        from authfuzz.poc.export import export_findings  # each finding also as a PoC file

        target = self.config.stash.get(_TARGET, None)
        principals = target.principals if target is not None else None
        self.exported = export_findings(self.state.findings, directory / "pocs", principals)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        state = self.state
        if not state.matrix and not state.findings:
            return
        if state.matrix:
            terminalreporter.section("authfuzz: branch x operation coverage")
            terminalreporter.write_line(state.matrix.render())
        verdict = f"{len(state.findings)} finding(s)" if state.findings else "no findings"
        terminalreporter.section(f"authfuzz: {verdict}")
        for finding in state.findings:
            terminalreporter.write_line(
                f"- {finding.invariant} [{finding.oracle}] branch {finding.branch}: "
                f"{finding.operation}: {finding.summary}"
            )
        report_dir = self.config.getoption("report_dir")
        terminalreporter.write_line(
            f"reports: {report_dir}/findings.json, findings.md, findings.sarif, report.html"
        )
        if any(e.path for e in self.exported):
            terminalreporter.write_line(
                f"PoC files: {report_dir}/pocs/ (replay: authfuzz repro {report_dir}/pocs/)"
            )
