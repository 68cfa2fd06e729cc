"""The route surface: every method on every path the frameworks route, documented or not.

"no-unauthenticated-write" again, and "no-undocumented-write": the spec lists the (method,
path) pairs the API offers, and the other suites send every write to exactly those. Tastypie
and DRF answer more: methods a resource was never meant to allow, DRF's format suffixes, a
path without its slash or with ``%2F``, v1's ``set/`` and ``schema/``, updates of ids that do
not exist. ``authfuzz.surface.table`` lists that surface and what HEAD answers on each cell;
here every undocumented cell is sent:

- as a valid non-staff user (authenticated, not allowed to write): a change is a
  ``no-unauthenticated-write`` finding;
- as trusted staff, where no one may write at HEAD (405, 404 and 301 cells): a change is a
  ``no-undocumented-write`` finding, reported apart;

in one batch per check, judged by reading the whole target back (``authfuzz.checks.routes``),
over the covering set of ``authfuzz.surface.covering``. A production target gets only the read-only
cells: the release resource's GET, HEAD and OPTIONS under every spelling, at a real
unpublished release, judged on what the answer reveals.
"""

from __future__ import annotations

from collections import Counter

import pytest

from authfuzz.branches import Api
from authfuzz.checks.routes import RouteCellTrial, RouteProbe, caller_principal
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED
from authfuzz.engine.engine import Engine
from authfuzz.findings import Finding, FindingError
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict
from authfuzz.outcomes import not_checked
from authfuzz.plugin.parametrize import parametrize_checks
from authfuzz.surface.covering import GROUPS, covering
from authfuzz.surface.matrix import RouteMark, marks_of
from authfuzz.surface.table import Caller, RouteCell, undocumented_cells

PRODUCTION_SKIP = "production target: route cells are writes (the read-only ones run apart)"
MAX_BATCHES = 48  # per check: halving stops here (only a badly broken build gets near it)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    checks = [
        (f"{api.value}-{caller.value}-{group}", (api, caller, group))
        for api in Api
        for caller in Caller
        for group in GROUPS[caller]
    ]
    parametrize_checks(metafunc, "route_check", checks, on_production=PRODUCTION_SKIP)
    apis = [(api.value, api) for api in Api]
    parametrize_checks(metafunc, "route_api", apis, on_production=None)


def test_undocumented_routes_never_write(
    authfuzz_engine: Engine,
    route_check: tuple[Api, Caller, str],
    authfuzz_route_marks: list[RouteMark],
) -> None:
    api, caller, group = route_check
    bench = authfuzz_engine.bench
    cells = list(covering(bench.target.spec, api, caller, group))
    try:
        caller_principal(bench, caller)
    except NotApplicableError as error:
        _conclude(
            api,
            caller,
            {cell: Verdict.inconclusive(str(error)) for cell in cells},
            authfuzz_route_marks,
        )
        return
    trials = {cell: RouteCellTrial(cell, caller) for cell in cells}
    try:
        # One batch for the whole check: its cells almost always change nothing.
        results = authfuzz_engine.run(
            list(trials.values()), max_batch=len(cells), max_batches=MAX_BATCHES
        )
        verdicts = {cell: results.verdicts[trial.key] for cell, trial in trials.items()}
    except NotChecked as error:
        verdicts = {cell: not_checked(error) for cell in cells}
    _conclude(api, caller, verdicts, authfuzz_route_marks)


def test_undocumented_read_routes_hide_unpublished(
    authfuzz_engine: Engine, route_api: Api, authfuzz_route_marks: list[RouteMark]
) -> None:
    """The read-only cells, the only ones a production target receives."""
    bench = authfuzz_engine.bench
    cells = [
        c
        for c in undocumented_cells(bench.target.spec)
        if c.api is route_api and not c.is_write and c.resource == "release"
    ]
    trials = {cell: RouteProbe(cell) for cell in cells}
    try:
        caller_principal(bench, Caller.USER)
        results = authfuzz_engine.run(list(trials.values()), max_batch=len(cells))
        verdicts = {cell: results.verdicts[trial.key] for cell, trial in trials.items()}
    except NotApplicableError as error:
        verdicts = {cell: Verdict.inconclusive(str(error)) for cell in cells}
    _conclude(route_api, Caller.USER, verdicts, authfuzz_route_marks)


def _conclude(
    api: Api, caller: Caller, verdicts: dict[RouteCell, Verdict], marks: list[RouteMark]
) -> None:
    """Record every cell for the route matrix, then fail on findings (each once), stop on what
    could not be checked, skip when nothing applied."""
    statuses: dict[tuple[str, str], Counter[str]] = {}
    reasons: set[str] = set()
    findings: list[Finding] = []
    unchecked: NotChecked | None = None
    for cell, verdict in sorted(verdicts.items(), key=lambda kv: kv[0].sort_key()):
        counts = statuses.setdefault((cell.variant.value, cell.method), Counter())
        if verdict.outcome is Outcome.FINDING and verdict.finding is not None:
            counts[FINDING] += 1
            if verdict.finding not in findings:
                findings.append(verdict.finding)
        elif verdict.outcome is Outcome.PASS:
            counts[EXERCISED] += 1
        elif verdict.cause is not None:
            counts[UNCHECKED] += 1
            reasons.add(f"not checked: {verdict.reason}")
            unchecked = unchecked or NotChecked(verdict.reason, verdict.cause)
        else:
            counts[SKIPPED] += 1
            reasons.add(f"skipped ({verdict.reason})")
    marks += marks_of(api, caller.value, {k: dict(v) for k, v in statuses.items()}, reasons)
    if findings:
        raise FindingError(*findings)
    if unchecked is not None:
        raise unchecked
    skipped = [v for v in verdicts.values() if v.outcome is Outcome.INCONCLUSIVE]
    if skipped and len(skipped) == len(verdicts):
        pytest.skip(skipped[0].reason)
