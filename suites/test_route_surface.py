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

in batches, judged by reading the whole target back (``authfuzz.surface.check``), over the
covering set of ``authfuzz.surface.covering``. A production target gets only the read-only
cells: the release resource's GET, HEAD and OPTIONS under every spelling, at a real
unpublished release, judged on what the answer reveals.
"""

from __future__ import annotations

from collections import Counter

import pytest

from authfuzz.branches import Api
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED
from authfuzz.findings import Finding, FindingError
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict
from authfuzz.plugin import configured_target
from authfuzz.surface.check import RouteChecker, caller_unavailable, check_read_only
from authfuzz.surface.covering import GROUPS, covering
from authfuzz.surface.matrix import RouteMark, marks_of
from authfuzz.surface.table import Caller, RouteCell, undocumented_cells
from authfuzz.workbench import Workbench

PRODUCTION_SKIP = "production target: route cells are writes (the read-only ones run apart)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route_check" in metafunc.fixturenames:
        target = configured_target(metafunc.config)
        marks = [pytest.mark.skip(reason=PRODUCTION_SKIP)] if target.is_production else []
        checks = [
            pytest.param(
                (api, caller, group), id=f"{api.value}-{caller.value}-{group}", marks=marks
            )
            for api in Api
            for caller in Caller
            for group in GROUPS[caller]
        ]
        metafunc.parametrize("route_check", checks)
    if "route_api" in metafunc.fixturenames:
        metafunc.parametrize("route_api", list(Api), ids=[api.value for api in Api])


def test_undocumented_routes_never_write(
    authfuzz_workbench: Workbench,
    route_check: tuple[Api, Caller, str],
    authfuzz_route_marks: list[RouteMark],
) -> None:
    api, caller, group = route_check
    workbench = authfuzz_workbench
    cells = list(covering(workbench.target.spec, api, caller, group))
    verdicts: dict[RouteCell, Verdict] = {}
    unavailable = caller_unavailable(workbench, caller)
    if unavailable:
        verdicts = {cell: Verdict.inconclusive(unavailable) for cell in cells}
    else:
        try:
            verdicts.update(RouteChecker(workbench, caller).run(cells))
        except NotChecked as error:
            for cell in cells:
                verdicts.setdefault(cell, Verdict.not_checked(error.reason, error.cause))
    _conclude(api, caller, verdicts, authfuzz_route_marks)


def test_undocumented_read_routes_hide_unpublished(
    authfuzz_workbench: Workbench, route_api: Api, authfuzz_route_marks: list[RouteMark]
) -> None:
    """The read-only cells, the only ones a production target receives."""
    spec = authfuzz_workbench.target.spec
    cells = [
        c
        for c in undocumented_cells(spec)
        if c.api is route_api and not c.is_write and c.resource == "release"
    ]
    unavailable = caller_unavailable(authfuzz_workbench, Caller.USER)
    try:
        if unavailable:
            raise NotApplicableError(unavailable)
        verdicts = check_read_only(authfuzz_workbench, cells)
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
