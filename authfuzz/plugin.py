"""The pytest plugin: options, Hypothesis profiles, target fixtures and the run's reports.

Everything pytest-facing lives here. Tests ask for ``authfuzz_workbench`` (or
the smaller fixtures) and for the parametrized ``write_operation``,
``branch_case`` and ``probe_case`` arguments; cells and findings travel back in
``user_properties`` so that pytest-xdist workers and a plain run report alike.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from authfuzz.baseline import Baseline, BaselineError
from authfuzz.branches import Api, Branch
from authfuzz.client import Client, Deadline, TargetUnreachableError
from authfuzz.coverage import EXERCISED, FINDING, PROPERTY, SKIPPED, Cell, Matrix
from authfuzz.custody.custodian import (
    START_DIGEST,
    Custodian,
    SharedCustody,
    StateReport,
    custody_reader,
)
from authfuzz.custody.ledger import Ledger
from authfuzz.custody.lock import RunLock
from authfuzz.custody.protector import Protector
from authfuzz.custody.reconcile import Reconciliation
from authfuzz.dimension_matrix import PROPERTY as DIMENSION_PROPERTY
from authfuzz.dimension_matrix import DimensionMark, DimensionMatrix
from authfuzz.engine.engine import Engine, Unconfirmed
from authfuzz.findings import Finding, FindingError
from authfuzz.layout import SUITES
from authfuzz.not_checked import NotChecked
from authfuzz.operations import SpecError, write_operations
from authfuzz.progress import DEFAULT_INTERVAL, Progress
from authfuzz.redaction import Redactor
from authfuzz.run_summary import (
    CUSTODY,
    NotCheckedTest,
    OutcomeCounts,
    RequestTally,
    RunSummary,
)
from authfuzz.secrecy import Redact, redact_terminal, scrub_report
from authfuzz.signals import SignalWatch
from authfuzz.state import ReadBackError
from authfuzz.surface.matrix import PROPERTY as ROUTE_PROPERTY
from authfuzz.surface.matrix import RouteMark, RouteMatrix
from authfuzz.targets import Environment, Target, TargetsFileError, load_target
from authfuzz.throttles import spending
from authfuzz.throttles.fitting import PlanDecision, apply_trim, is_fuzzed, throttle_plan
from authfuzz.throttles.journal import Journal
from authfuzz.throttles.plan import spend_against_limits
from authfuzz.throttles.reserve import Ceilings
from authfuzz.verdict import DecidedExit, Ending, Verdict
from authfuzz.workbench import Workbench
from authfuzz.world import World

DEFAULT_TARGET = "testbed"
FINDING_PROPERTY = "authfuzz_finding"
NOT_CHECKED_PROPERTY = "authfuzz_not_checked"
UNREACHABLE_PROPERTY = "authfuzz_unreachable"
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
# No profile runs Hypothesis's explain phase: it re-sends a failing case many times to
# guess which parts mattered, which against a server is many more write attempts for a
# hint the finding's request already gives.
_SEARCH = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
settings.register_profile(
    "dev",
    max_examples=15,
    phases=[*_SEARCH, Phase.shrink],
    **_COMMON,  # type: ignore[arg-type]
)
# ci is Hypothesis's own ci profile (derandomize=True, database=None, deadline=None,
# print_blob=True), with three differences: 8 examples per test (the day's throttles, see
# authfuzz.throttles), no shrinking (against a real target every shrink step is another
# write attempt, and a finding already carries a replayable request and a PoC file), and the
# gate's health checks suppressed. Kept from Hypothesis, on purpose: derandomized, so one
# build gets the same examples and so the same verdict on every run of the gate (breadth
# comes from the dev and deep profiles, and from --hypothesis-seed, which turns it off); no
# example database, since a CI runner is thrown away and a derandomized run needs none.
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=8,
    phases=_SEARCH,
    **_COMMON,
)
settings.register_profile(
    "deep",
    max_examples=300,
    phases=[*_SEARCH, Phase.shrink],
    **_COMMON,  # type: ignore[arg-type]
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authfuzz", "authfuzz security gate")
    group.addoption(
        "--target",
        default=DEFAULT_TARGET,
        help=f"target name in the targets file (default: {DEFAULT_TARGET})",
    )
    group.addoption(
        "--baseline",
        default=None,
        help="findings.json (or {'accepted': [...]}) of findings to report but not fail on",
    )
    group.addoption(
        "--spend-journal",
        default=None,
        help="what each throttle bucket spent across runs (default: $AUTHFUZZ_JOURNAL or "
        "~/.cache/authfuzz/spend.json)",
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
        "--progress-every",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"print a status line at most every SECONDS (default {DEFAULT_INTERVAL:.0f}; 0: off)",
    )
    group.addoption(
        "--max-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop checking after SECONDS (the rest is 'not checked: time', and the run fails)",
    )
    group.addoption(
        "--fit-throttle",
        action="store_true",
        help="trim fuzzed examples until the run fits the target's throttles (explicit "
        "examples, which exercise every cell, always stay)",
    )
    group.addoption(
        "--matrix",
        choices=("summary", "detailed"),
        default="summary",
        help="coverage on the end screen: the grid (summary) or the grid and every sub-form "
        "(detailed); coverage.txt in the report directory always has the detailed view",
    )
    group.addoption(
        "--as-production",
        action="store_true",
        help="treat the target as production: no request that could change state is sent",
    )


@dataclass
class RunState:
    """What the controller gathers from every test report (also from xdist workers)."""

    matrix: Matrix = field(default_factory=Matrix)
    routes: RouteMatrix = field(default_factory=RouteMatrix)
    dimensions: DimensionMatrix = field(default_factory=DimensionMatrix)
    findings: list[Finding] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    tests: OutcomeCounts = field(default_factory=OutcomeCounts)
    requests: RequestTally = field(default_factory=RequestTally)
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> worst so far
    with_findings: set[str] = field(default_factory=set)  # nodeids that reported a finding
    failed_without_finding: list[str] = field(default_factory=list)
    not_checked: dict[str, NotCheckedTest] = field(default_factory=dict)  # by nodeid
    # Counted requests per test and throttle bucket (requests.json; bench/economy.py)
    spent_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    # The same per test, by bucket and purpose ("v2 admin: read-back")
    purposes_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    unreachable: str | None = None  # why the run stopped early: the target went away
    # Changes a batch showed that none of its trials showed again alone: never findings
    unconfirmed: list[Unconfirmed] = field(default_factory=list)


@dataclass
class RequestCounter:
    """Per process: the client's figures already shipped in a test report."""

    client: Client
    reported: int = 0
    spent: dict[str, int] = field(default_factory=dict)  # throttle bucket -> counted so far
    purposes: dict[str, int] = field(default_factory=dict)  # "bucket: purpose" -> counted

    def spent_since(self) -> dict[str, int]:
        """What each throttle bucket spent since the last report (and remember it)."""
        now = self.client.tally.snapshot()
        delta = _delta(now, self.spent)
        self.spent = now
        return delta

    def purposes_since(self) -> dict[str, int]:
        now = self.client.tally.purposes()
        delta = _delta(now, self.purposes)
        self.purposes = now
        return delta


def _delta(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {key: n - before.get(key, 0) for key, n in now.items() if n != before.get(key, 0)}


_TARGET = pytest.StashKey[Target]()
_TRIM = pytest.StashKey[int | None]()  # examples per fuzzed test after --fit-throttle
_PLANNED = pytest.StashKey[bool]()
_CEILINGS = pytest.StashKey[Ceilings]()  # how far this process's checks may spend each bucket
# A run that ends before its tests can say anything (refused, unreachable, not the API): the
# verdict and its one line. Every process skips its tests; the controller writes the reports.
_EARLY = pytest.StashKey[Ending]()
_JOURNAL = pytest.StashKey["Journal | None"]()
EARLY_INPUT = "authfuzz_early"
RELEASE_FILES_INPUT = "authfuzz_release_files"
DEADLINE_INPUT = "authfuzz_deadline"
_DEADLINE = pytest.StashKey[float]()  # wall-clock time after which nothing more is checked
_JOURNALS = pytest.StashKey[Path]()
_STATE = pytest.StashKey[dict[str, Any]]()  # this process's custody report (own testbed)
_DURING = pytest.StashKey[Reconciliation]()  # what this process's protector put back
JOURNALS_INPUT = "authfuzz_journals"
STATE_OUTPUT = "authfuzz_state"
DURING_OUTPUT = "authfuzz_restored_during"
_REDACTOR = pytest.StashKey["Redact"]()
_REQUESTS = pytest.StashKey[RequestCounter]()
_ENGINE = pytest.StashKey["Engine"]()
UNCONFIRMED_PROPERTY = "authfuzz_unconfirmed"
REQUESTS_PROPERTY = "authfuzz_requests"


@pytest.hookimpl(trylast=True)  # after the terminal reporter exists
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RunCollector(config), "authfuzz-run-collector")
    seconds = config.getoption("max_seconds", None)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(DEADLINE_INPUT) is not None:
        config.stash[_DEADLINE] = float(workerinput[DEADLINE_INPUT])
    elif seconds is not None:
        config.stash[_DEADLINE] = time.time() + seconds
    if config.pluginmanager.get_plugin("terminalreporter") is not None:
        redact_terminal(config.get_terminal_writer(), lambda: _redactor(config))
    if config.getoption("hypothesis_profile", None) in (None, "default"):
        settings.load_profile(
            "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
        )
    current = settings.default
    if config.getoption("hypothesis_seed", None) is not None and current and current.derandomize:
        # A seed asked for is a seed used: a derandomized profile would ignore it.
        name = f"{settings.get_current_profile_name()}-seeded"
        settings.register_profile(name, current, derandomize=False)
        settings.load_profile(name)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What is being gated, at the top of the log, for runs of the gate's suites only."""
    if not any(_in_suites(arg) for arg in config.args):
        return []
    target = configured_target(config)
    where = target.base_url or "the embedded testbed, started on 127.0.0.1 per process"
    defects = config.getoption("defects")
    profile = settings.get_current_profile_name()
    return [
        f"authfuzz: target {target.name} ({target.environment.value}) at {where}"
        + (f" with defects {defects}" if defects else ""),
        f"authfuzz: profile {profile} ({settings().max_examples} examples per test), "
        f"reports in {config.getoption('report_dir')}/",
    ]


def _in_suites(arg: str) -> bool:
    path = Path(arg.split("::", 1)[0]).resolve()
    return path == SUITES or SUITES in path.parents


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def configured_target(config: pytest.Config) -> Target:
    """The target named on the command line, validated once per process."""
    if _TARGET not in config.stash:
        try:
            target = load_target(Path(config.getoption("targets_file")), config.getoption("target"))
        except TargetsFileError as error:
            _refuse(config, str(error))
        if config.getoption("defects") and target.start != "testbed":
            _refuse(
                config,
                f'--defects needs a target with start = "testbed"; {target.name!r} is '
                f"{target.environment.value} at {target.base_url}",
            )
        if config.getoption("as_production"):
            target = target.with_environment(Environment.PRODUCTION)
        config.stash[_TARGET] = target
        config.stash[_REDACTOR] = Redactor.for_principals(target.principals).redact
    return config.stash[_TARGET]


def _refuse(config: pytest.Config, reason: str) -> Any:
    """Stop a run that cannot start (configuration): REFUSED, exit code 2, one line."""
    config.stash[_EARLY] = Ending(Verdict.REFUSED, reason)
    pytest.exit(f"authfuzz: {reason}", returncode=Verdict.REFUSED.exit_code)


def _end_early(config: pytest.Config, ending: Ending) -> None:
    """Record an ending found before any test ran; the tests are then deselected."""
    config.stash.setdefault(_EARLY, ending)


def _refused_target(config: pytest.Config) -> bool:
    """The targets file or target was refused: there is no target to describe."""
    early = _early(config)
    return _TARGET not in config.stash and early is not None and early.verdict is Verdict.REFUSED


def _early(config: pytest.Config) -> Ending | None:
    if _EARLY in config.stash:
        return config.stash[_EARLY]
    workerinput = getattr(config, "workerinput", None)
    data = workerinput.get(EARLY_INPUT) if workerinput is not None else None
    return Ending(Verdict(data[0]), data[1]) if data else None


def _redactor(config: pytest.Config) -> Redact | None:
    """The target's redactor once the target is loaded (its secrets are unknown before)."""
    return config.stash.get(_REDACTOR, None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if not {"write_operation", "auth_branch", "auth_api"} & set(names):
        return
    target = configured_target(metafunc.config)
    try:
        operations = write_operations(target.spec)
    except SpecError as error:
        _refuse(metafunc.config, str(error))
    if "write_operation" in names:
        metafunc.parametrize(
            "write_operation", operations, ids=[op.operation_id for op in operations]
        )
    if "auth_branch" in names:
        cases = [(api, b) for api in Api for b in Branch.for_api(api)]
        metafunc.parametrize(
            "auth_branch", cases, ids=[f"{api.value}-{b.slug}" for api, b in cases]
        )
    if "auth_api" in names:
        metafunc.parametrize("auth_api", list(Api), ids=[api.value for api in Api])


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
        _refuse(request.config, f"cannot start the testbed: {error}")
    try:
        yield target.with_base_url(info.base_url)
    finally:
        testbed.stop()


@pytest.fixture(scope="session")
def authfuzz_client(request: pytest.FixtureRequest, authfuzz_target: Target) -> Iterator[Client]:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    client = Client(
        authfuzz_target, share=workers, ceilings=request.config.stash.get(_CEILINGS, None)
    )
    client.deadline = _deadline(request.config)
    journals = _journals(request.config)
    if journals is not None:
        client.ledger = Ledger(journal=journals / f"{_worker_id(request.config)}.jsonl")
    request.config.stash[_REQUESTS] = RequestCounter(client)
    client.ensure_reachable()
    yield client
    client.close()


@pytest.fixture(scope="session")
def authfuzz_custody(
    request: pytest.FixtureRequest, authfuzz_target: Target, authfuzz_client: Client
) -> Iterator[Protector | None]:
    """Custody of the target's data for this process (see ``authfuzz.custody``).

    The protector stands around every risky request. A process that started its own testbed
    also keeps the digests and cleans up at the end; for a shared target the controlling
    process does that (``RunCollector``), and this process only reports what it put back.
    """
    trusted = authfuzz_target.principals.trusted()
    if trusted is None or not trusted.token:
        yield None  # no trusted reader: Workbench explains why the gate cannot run
        return
    reader = custody_reader(authfuzz_client, authfuzz_target.principals)
    journals = _journals(request.config)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    shared = authfuzz_target.start != "testbed" and workers > 1  # else: one process per target
    lock = RunLock.for_target(journals if shared else None, authfuzz_client.base_url)
    custodian = None
    if authfuzz_target.start == "testbed":
        custodian = Custodian(reader, authfuzz_client.ledger)
        custodian.begin()
    start = _baseline(custodian, authfuzz_client.ledger, journals)
    protector = Protector(reader, authfuzz_client.ledger, lock, lambda: start)
    authfuzz_client.protector = protector
    try:
        yield protector
    finally:
        authfuzz_client.protector = None
        if custodian is not None:
            request.config.stash[_STATE] = custodian.finish(protector.log).to_dict()
        else:
            request.config.stash[_DURING] = protector.log


@pytest.fixture(scope="session")
def authfuzz_workbench(
    authfuzz_target: Target, authfuzz_client: Client, authfuzz_custody: Protector | None
) -> Iterator[Workbench]:
    workbench = Workbench(authfuzz_target, authfuzz_client)
    if authfuzz_custody is not None:  # one view of the target for custody and the checks
        workbench.reader.known = authfuzz_custody.reader.known
    yield workbench
    workbench.close()


@pytest.fixture(scope="session")
def authfuzz_engine(
    request: pytest.FixtureRequest,
    authfuzz_workbench: Workbench,
    authfuzz_custody: Protector | None,
) -> Engine:
    """The check engine of this process: every suite's trials go through it."""
    engine = Engine(authfuzz_workbench, protector=authfuzz_custody)
    request.config.stash[_ENGINE] = engine
    return engine


def _baseline(custodian: Custodian | None, ledger: Ledger, journals: Path | None) -> World | None:
    """How the run found the target: this process's own custodian's first read, or the one
    the controlling process saved beside the journals. The ledger learns from it what was
    there before the run (never the run's to remove)."""
    if custodian is not None:
        return custodian.start
    path = journals / START_DIGEST if journals is not None else None
    start = World.load(path) if path is not None and path.exists() else None
    if start is not None:
        ledger.found((e.resource, e.pk, e.slug) for e in start.objects())
    return start


def _journals(config: pytest.Config) -> Path | None:
    """The directory where every process of this run keeps its ledger (made by the controller)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        path = workerinput.get(JOURNALS_INPUT)
        return Path(path) if path else None
    if _JOURNALS not in config.stash:
        config.stash[_JOURNALS] = Path(tempfile.mkdtemp(prefix="authfuzz-ledger-"))
    return config.stash[_JOURNALS]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Each xdist worker journals into the controller's directory (it cleans up after them)."""
    journals = _journals(node.config)
    if journals is not None:
        node.workerinput[JOURNALS_INPUT] = str(journals)
    files = _release_files(node.config)
    if files is not None:
        node.workerinput[RELEASE_FILES_INPUT] = files
    node.workerinput[DEADLINE_INPUT] = node.config.stash.get(_DEADLINE, None)
    early = _early(node.config)
    if early is not None:
        node.workerinput[EARLY_INPUT] = (early.verdict.value, early.reason)


@pytest.fixture
def authfuzz_dimension_marks(record_property: Any) -> Iterator[list[DimensionMark]]:
    """Input-space marks a test produced; recorded for the dimension matrix when it ends."""
    marks: list[DimensionMark] = []
    yield marks
    for mark in marks:
        record_property(DIMENSION_PROPERTY, mark.to_json())


@pytest.fixture
def authfuzz_route_marks(record_property: Any) -> Iterator[list[RouteMark]]:
    """Route-surface marks a test produced; recorded for the route matrix when it ends."""
    marks: list[RouteMark] = []
    yield marks
    for mark in marks:
        record_property(ROUTE_PROPERTY, mark.to_json())


@pytest.fixture
def authfuzz_cells(record_property: Any) -> Iterator[list[Cell]]:
    """Cells a test exercised; recorded for the matrix when the test ends, however it ends."""
    cells: list[Cell] = []
    yield cells
    for cell in {c.to_json(): c for c in cells}.values():
        record_property(PROPERTY, cell.to_json())


# -- the throttle plan -----------------------------------------------------------------------


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Plan the run against the target's throttles, and trim it if asked and needed.

    Every process that collects computes the same plan from the same items; the one that
    reports (this process without xdist, the controller with it) prints it and stops a run
    that does not fit. Workers apply the same trim, so every process runs the same tests.
    """
    if _names_a_target(config) and _early(config) is None:
        target = configured_target(config)
        if target.throttles is not None and not (target.is_production and not target.throttles):
            decision = throttle_plan(
                [item.nodeid for item in items],
                target,
                config.getoption("fit_throttle"),
                processes=_processes(config),
                release_files=_release_files(config),
                spent=_already_spent(config, target),
            )
            if not _is_worker(config):
                _report_plan(config, target, decision)
            elif decision.stop is not None:
                _end_early(config, Ending(Verdict.REFUSED, decision.stop))
            config.stash[_TRIM] = decision.plan.examples if decision.trimmed else None
            config.stash[_CEILINGS] = decision.plan.ceilings(_processes(config))
    if _early(config) is not None and items:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """With xdist the controller plans from the first worker's collection, before any test."""
    config = node.config
    if _PLANNED in config.stash or not _names_a_target(config):
        return
    config.stash[_PLANNED] = True
    target = configured_target(config)
    if target.throttles is None:
        return
    decision = throttle_plan(
        ids,
        target,
        config.getoption("fit_throttle"),
        processes=_processes(config),
        release_files=_release_files(config),
        spent=_already_spent(config, target),
    )
    _report_plan(config, target, decision)


def _report_plan(config: pytest.Config, target: Target, decision: PlanDecision) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    journal = _journal(config, target)
    if reporter is not None:
        if journal is not None and journal.note:
            reporter.write_line(f"authfuzz: {journal.note}")
        reporter.write_line(f"authfuzz: {decision.describe()}")
    if decision.stop is not None:
        later = spending.when_it_fits(journal, target, decision.plan) if journal else ""
        _end_early(
            config, Ending(Verdict.REFUSED, f"target {target.name!r}: {decision.stop}{later}")
        )


def _journal(config: pytest.Config, target: Target) -> Journal | None:
    """This target's spend journal, read once per process (None: it keeps no history)."""
    if _JOURNAL not in config.stash:
        config.stash[_JOURNAL] = spending.open_journal(target, config.getoption("spend_journal"))
    return config.stash[_JOURNAL]


def _already_spent(config: pytest.Config, target: Target) -> dict[str, int]:
    journal = _journal(config, target)
    return spending.already_spent(journal, target) if journal is not None else {}


def _processes(config: pytest.Config) -> int:
    return max(1, int(getattr(config.option, "numprocesses", 0) or 0))


def _release_files(config: pytest.Config) -> int | None:
    """How many release files the target has (the v1 sweep reads 100 a request)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        value = workerinput.get(RELEASE_FILES_INPUT)
        return int(value) if value is not None else None
    collector = config.pluginmanager.get_plugin("authfuzz-run-collector")
    shared = getattr(collector, "shared", None)
    if shared is None or shared.custodian.start is None:
        return None
    return len(shared.custodian.start.table("release_file"))


def _names_a_target(config: pytest.Config) -> bool:
    """A gate run (``suites/``), or one's own tests against a target named with --target."""
    return any(_in_suites(a) for a in config.args) or (config.getoption("target") != DEFAULT_TARGET)


# -- checks that could not finish -------------------------------------------------------------


def _deadline(config: pytest.Config) -> Deadline | None:
    at = config.stash.get(_DEADLINE, None)
    return None if at is None else Deadline(at, _time_is_up(config))


def _time_is_up(config: pytest.Config) -> str:
    return f"the run's --max-seconds ({config.getoption('max_seconds'):g} s) were up"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    with _unfinished_checks(item):
        trim = item.config.stash.get(_TRIM, None)
        if trim == 0 and is_fuzzed(item):
            pytest.skip("--fit-throttle: only the explicit examples fit the target's throttles")
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    trim = item.config.stash.get(_TRIM, None)
    if trim:
        apply_trim(item, trim)
    with _unfinished_checks(item):
        return (yield)


@contextmanager
def _unfinished_checks(item: pytest.Item) -> Iterator[None]:
    """A check that could not finish is a skip with its reason, recorded so the run fails.

    ``NotChecked`` (a fault, throttle, budget or time) skips the test; an unreachable target
    (the circuit breaker tripped) skips it too and stops the session, which then ends with
    exit code 3. Neither is a failure of the test, and neither is a pass.
    """
    try:
        deadline = _deadline(item.config)
        if deadline is not None:
            deadline.check()
        yield
    except NotChecked as error:
        record = NotCheckedTest(item.nodeid, error.cause.value, error.reason)
        item.user_properties.append((NOT_CHECKED_PROPERTY, record.to_json()))
        pytest.skip(str(error))
    except TargetUnreachableError as error:
        message = str(error)
        item.user_properties.append((UNREACHABLE_PROPERTY, message))
        item.session.shouldstop = f"authfuzz: {message}"
        pytest.skip(f"not checked (unreachable): {message}")


# -- collecting results ---------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: the last to touch the report
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    redact = _redactor(item.config)
    statistics = getattr(item, "hypothesis_statistics", None)
    if redact is not None and isinstance(statistics, str):
        # Hypothesis's own wrapper, inside this one, writes these to the JUnit file base64
        # encoded, where no later redaction can see a secret: strategy reprs in its events
        # ("Retried draw from just('<a token>')") can hold one.
        item.hypothesis_statistics = redact(statistics)  # type: ignore[attr-defined]
    report = yield
    try:
        return _filed(item, call, report)
    finally:
        redact = _redactor(item.config)
        if redact is not None:
            scrub_report(report, redact)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    redact = _redactor(collector.config)
    if redact is not None:
        scrub_report(report, redact)
    return report


def _filed(item: pytest.Item, call: pytest.CallInfo[None], report: Any) -> Any:
    """The report with the findings and request counts it carries to the controller."""
    if call.excinfo is not None:
        for finding in _findings_in(call.excinfo.value):
            report.user_properties.append((FINDING_PROPERTY, finding.to_json()))
    engine = item.config.stash.get(_ENGINE, None)
    if call.when == "teardown" and engine is not None and engine.unconfirmed:
        for seen in engine.unconfirmed:
            report.user_properties.append((UNCONFIRMED_PROPERTY, seen.to_json()))
        engine.unconfirmed.clear()
    counter = item.config.stash.get(_REQUESTS, None)
    if call.when == "teardown" and counter is not None:
        # Requests travel with the report, so the controller's progress counts them live.
        client = counter.client
        report.user_properties.append(
            (
                REQUESTS_PROPERTY,
                json.dumps(
                    {
                        "worker": _worker_id(item.config),
                        "sent": client.sent - counter.reported,
                        "budget_limit": client.budget.limit,
                        "budget_left": client.budget.remaining,
                        "spent": counter.spent_since(),
                        "purposes": counter.purposes_since(),
                    }
                ),
            )
        )
        counter.reported = client.sent
    return report


def _final_figures(worker: str, client: Client) -> dict[str, Any]:
    """A process's exact request figures when it ends (``RequestTally.settle``'s arguments)."""
    now = time.monotonic()
    return {
        "worker": worker,
        "sent": client.sent,
        "budget_left": client.budget.remaining,
        "budget_limit": client.budget.limit,
        "custody": client.custody_sent,
        "spent": client.tally.snapshot(),
        "closed": {
            label: until - now for label, until in client.tally.closed.items() if until > now
        },
    }


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def _findings_in(error: BaseException) -> list[Finding]:
    if isinstance(error, FindingError):
        return list(error.findings)
    if isinstance(error, BaseExceptionGroup):
        return [f for inner in error.exceptions for f in _findings_in(inner)]
    return []


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
        self.exported: list[Any] = []  # PoC files written from the findings
        self.summary: RunSummary | None = None
        self.shared: SharedCustody | None = None  # custody of a shared target, if this is one
        self.baseline: Baseline | None = None  # --baseline: findings reported, not failed on
        self.states: list[StateReport] = []  # custody reports of the workers' own testbeds
        self.during = Reconciliation()  # what the workers' protectors put back
        # A run of the gate's suites (``--collect-only`` runs nothing, so it has no verdict).
        self.gate = any(_in_suites(a) for a in config.args) and not config.option.collectonly
        self.signals = SignalWatch()
        self.interrupted: str | None = None
        self.workers_lost: list[str] = []
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")

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
        if _is_worker(self.config):
            return
        gate = self.gate
        if gate:
            from authfuzz.reports.writer import remove_reports

            remove_reports(Path(self.config.getoption("report_dir")))
        if self.config.getoption("baseline"):
            try:
                self.baseline = Baseline.load(Path(self.config.getoption("baseline")))
            except BaselineError as error:
                _end_early(self.config, Ending(Verdict.REFUSED, str(error)))
                return
        if gate or self.config.getoption("target") != DEFAULT_TARGET:
            target = configured_target(self.config)
            if target.start != "testbed":
                self._open_shared_custody(target)

    def _open_shared_custody(self, target: Target) -> None:
        """Read a shared target whole before any test can write to it."""
        try:
            self.shared = SharedCustody.open(target, _journals(self.config))
        except TargetUnreachableError as error:
            _end_early(self.config, Ending(Verdict.UNREACHABLE, str(error)))
        except NotChecked as error:
            _end_early(
                self.config,
                Ending(
                    Verdict.UNREACHABLE,
                    f"target {target.name!r}: its data could not be read before the run, so "
                    f"nothing a defect destroys could be put back: {error.reason}",
                ),
            )
        except ReadBackError as error:
            _end_early(self.config, Ending(Verdict.ERROR, f"target {target.name!r}: {error}"))

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
            elif name == FINDING_PROPERTY:
                self.state.with_findings.add(_test_of(report))
                self._add_finding(Finding.from_dict(json.loads(value)))
            elif name == REQUESTS_PROPERTY:
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
            elif name == NOT_CHECKED_PROPERTY:
                record = NotCheckedTest.from_json(value)
                self.state.not_checked.setdefault(record.nodeid, record)
            elif name == UNREACHABLE_PROPERTY:
                self.state.unreachable = self.state.unreachable or value
            elif name == UNCONFIRMED_PROPERTY:
                self.state.unconfirmed.append(Unconfirmed.from_json(value))
        self._count(report)

    def _add_finding(self, finding: Finding) -> None:
        if finding in self.state.findings:
            return
        self.state.findings.append(finding)
        if not _is_worker(self.config):
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
        if not _is_worker(self.config) and self._gated:
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
            self.interrupted = self.signals.interrupted_by()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if error is not None:
            self.workers_lost.append(str(getattr(node.gateway, "id", "a worker")))
        output = getattr(node, "workeroutput", {})
        final = output.get(REQUESTS_PROPERTY)
        if final:
            self.state.requests.settle(**final)
        if STATE_OUTPUT in output:
            self.states.append(StateReport.from_dict(output[STATE_OUTPUT]))
        elif error is not None and configured_target(self.config).start == "testbed":
            # A worker that died took its own testbed (and everything on it) with it.
            self.states.append(StateReport(note=f"a worker ended without a report ({error})"))
        during = output.get(DURING_OUTPUT)
        if during:
            self.during.restored += during.get("restored", [])
            self.during.failed += during.get("failed", [])

    # -- at the end ----------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)  # after the session fixtures' teardown (custody's end)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_worker(self.config):
            self._ship_custody()
        counter = self.config.stash.get(_REQUESTS, None)
        if counter is not None:  # exact, after the session fixtures' teardown requests
            client = counter.client
            final = _final_figures(_worker_id(self.config), client)
            if _is_worker(self.config):
                self.config.workeroutput[REQUESTS_PROPERTY] = final  # type: ignore[attr-defined]
                return
            self.state.requests.settle(**final)
        self.signals.restore()
        if _is_worker(self.config):
            return
        target_state = self._target_state()
        self._journal_the_spend()
        if self.gate or self._gated:
            self.summary = self._summary(target_state)
            self._write_reports(self.summary)
            # The one verdict decides the exit code, whatever pytest's own would have been.
            session.exitstatus = self.summary.ending.exit_code
            for plugin in self.config.pluginmanager.get_plugins():
                if isinstance(plugin, DecidedExit):
                    plugin.code = self.summary.ending.exit_code

    def _journal_the_spend(self) -> None:
        """What this run counted goes into the target's spend journal, for the next plan."""
        target = self.config.stash.get(_TARGET, None)
        if target is None or _early(self.config) is not None:
            return
        journal = _journal(self.config, target)
        if journal is None:
            return
        try:
            spending.record_run(
                journal, target, self.state.requests.spent(), self.state.requests.closed()
            )
        except OSError as error:  # a read-only cache must not cost the run its verdict
            self._write_line(f"authfuzz: spend journal {journal.path} not written: {error}")

    def _ship_custody(self) -> None:
        """A worker's custody report (its own testbed) or its protector's log, for the controller."""
        output = self.config.workeroutput  # type: ignore[attr-defined]
        if _STATE in self.config.stash:
            output[STATE_OUTPUT] = self.config.stash[_STATE]
        if _DURING in self.config.stash:
            log = self.config.stash[_DURING]
            output[DURING_OUTPUT] = {"restored": log.restored, "failed": log.failed}

    def _target_state(self) -> StateReport | None:
        """What the run did to the target's data, from whoever kept custody of it."""
        if _STATE in self.config.stash:  # no xdist: this process had its own testbed
            self.states.append(StateReport.from_dict(self.config.stash[_STATE]))
        if _DURING in self.config.stash:  # no xdist, shared target
            self.during.extend(self.config.stash[_DURING])
        report: StateReport | None = None
        if self.shared is not None:
            report = self.shared.close(self.during)
            self.state.requests.settle(**_final_figures(CUSTODY, self.shared.client))
        elif self.states:
            report = StateReport.merged(self.states)
        journals = self.config.stash.get(_JOURNALS, None)
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

    def _summary(self, target_state: StateReport | None) -> RunSummary:
        early = _early(self.config)
        if early is not None:
            redact = _redactor(self.config)
            early = Ending(early.verdict, redact(early.reason) if redact else early.reason)
        target = None if _refused_target(self.config) else configured_target(self.config)
        counts = self.state.matrix.counts()
        workers = int(getattr(self.config.option, "numprocesses", 0) or 0)
        return RunSummary(
            target=self.config.getoption("target"),
            environment=target.environment.value if target is not None else "unknown",
            profile=settings.get_current_profile_name(),
            workers=max(workers, 1),
            tests=self.state.tests,
            findings=self.state.findings,
            requests=self.state.requests,
            seconds=time.monotonic() - self.state.started,
            cells_exercised=counts[EXERCISED] + counts[FINDING],
            cells_skipped=counts[SKIPPED],
            cells_missing=counts["missing"],
            failed_without_finding=self.state.failed_without_finding,
            unconfirmed=[item.line() for item in self.state.unconfirmed],
            not_checked=list(self.state.not_checked.values()),
            target_state=target_state.to_dict() if target_state is not None else None,
            target_state_lines=[target_state.line(), *target_state.details()]
            if target_state is not None
            else [],
            throttle_use=spend_against_limits(
                self.state.requests.spent(), target.throttles if target is not None else None
            ),
            collected=self.progress.total,
            interrupted=self.interrupted,
            workers_lost=list(self.workers_lost),
            early=early,
            unreachable=self.state.unreachable,
            started_at=self.started_at,
            defects=str(self.config.getoption("defects") or ""),
            baseline=self.baseline,
        )

    def _write_reports(self, summary: RunSummary) -> None:
        from authfuzz.reports.writer import RunRecord, write_reports

        target = self.config.stash.get(_TARGET, None)
        xmlpath = getattr(self.config.option, "xmlpath", None)
        record = RunRecord(
            summary,
            self.state.matrix,
            self.state.routes,
            self.state.dimensions,
            self.state.spent_by_test,
            self.state.purposes_by_test,
            target.principals if target is not None else None,
        )
        # pytest has written its JUnit file by now (its sessionfinish runs before this one).
        self.exported = write_reports(
            Path(self.config.getoption("report_dir")), record, Path(xmlpath) if xmlpath else None
        )

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        from authfuzz.reports import terminal_report

        if self.summary is None:  # not a gate run, or a worker
            return
        if self.state.matrix:
            terminalreporter.section("authfuzz: branch x operation coverage")
            matrix = self.state.matrix
            detailed = terminalreporter.config.getoption("matrix", "summary") == "detailed"
            terminalreporter.write_line(matrix.render_detailed() if detailed else matrix.render())
        if self.state.routes:
            terminalreporter.section("authfuzz: route surface (spelling x method)")
            terminalreporter.write_line(self.state.routes.render())
        if self.state.dimensions:
            terminalreporter.section("authfuzz: input space (dimension x cell)")
            terminalreporter.write_line(self.state.dimensions.render())
        summary = self.summary
        terminalreporter.section(
            terminal_report.title(summary),
            green=summary.verdict == "pass",
            red=summary.verdict != "pass",
            bold=True,
        )
        report_dir = Path(self.config.getoption("report_dir"))
        pocs = any(e.path for e in self.exported)
        from authfuzz.poc.export import accounting, describe

        pocs_line = describe(accounting(self.exported)) if self.exported else ""
        # pytest's own closing line counts failed reports, one per failed subtest: say so
        # where it differs, so the run has one set of counts and one explanation.
        pytest_failed = len(terminalreporter.stats.get("failed", []))
        for line in terminal_report.render(summary, report_dir, pocs, pocs_line, pytest_failed):
            terminalreporter.write_line(line)
