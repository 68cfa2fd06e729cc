"""Each route-class defect fails the gate through the route surface, under every seed; clean passes.

The five switches (testbed/defects.py) open one undocumented route each: a ``.json`` suffix
route with a weaker permission, a second URL pattern for a path without its slash, Tastypie's
detail PATCH let in, a v2 PUT that creates what it was meant to update, v1's ``set/``
accepting DELETE. Only the route suite runs (``suites/test_route_surface.py``); it draws
nothing at random, and the seed also changes nothing else it depends on, but every defect runs
under three seeds all the same, so that a finding can never rest on a lucky order. Each must
name its invariant (a non-staff write is ``no-unauthenticated-write``, a staff write through an
undocumented route ``no-undocumented-write``), the spelling of its route and its method, and
nothing else may be reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.gate import run_gate

pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3)
SUITE = "suites/test_route_surface.py"
USER = "no-unauthenticated-write"
STAFF = "no-undocumented-write"

# defect, the invariant and spellings its findings must name, (method, path) of one of them,
# and what every finding's route must be about (a widened route may let staff in too, and a
# read-only cell on it may show the caller taken for staff: those are the same defect)
CASES = [
    ("v2-json-suffix-write", USER, {"route:json-suffix", "route:json-suffix-slash"},
     ("PATCH", "/api/v2/downloads/release_file/{id}.json"), "/release_file/{id}.json"),
    ("no-slash-create", USER, {"route:no-slash"}, ("POST", "/api/v2/downloads/release"),
     " /api/v2/downloads/release"),
    ("v1-detail-patch", USER, {"route:canonical"}, ("PATCH", "/api/v1/downloads/release/{id}/"),
     "PATCH /api/v1/downloads"),
    ("put-creates", STAFF, {"route:canonical"}, ("PUT", "/api/v2/downloads/os/{missing}/"),
     "/{missing}"),
    ("v1-set-delete", USER, {"route:canonical"},
     ("DELETE", "/api/v1/downloads/os/set/{id};{missing}/"), "DELETE /api/v1/downloads"),
]  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("defect", "invariant", "branches", "route", "about"), CASES, ids=[c[0] for c in CASES]
)
def test_a_route_defect_is_found_by_the_route_surface(
    tmp_path: Path,
    defect: str,
    invariant: str,
    branches: set[str],
    route: tuple[str, str],
    about: str,
    seed: int,
) -> None:
    api = route[1].split("/")[2]  # only that API's checks: the other one cannot reach it
    run = run_gate(
        tmp_path, "--defects", defect, "--hypothesis-seed", str(seed), "-k", api, select=SUITE
    )
    assert run.returncode == 1, run.output[-3000:]
    findings = run.findings()
    ours = [f for f in findings if f["invariant"] == invariant]
    assert ours, run.output[-3000:]
    assert branches <= {f["branch"] for f in ours}, ours
    method, path = route
    assert any(f["operation"] == f"{method} {path}" for f in ours), [f["operation"] for f in ours]
    strays = [f["operation"] for f in findings if about not in f["operation"]]
    assert not strays, strays
    assert all(f["oracle"] in ("read-back", "identity-probe") for f in findings)
    assert all(f["curl"].startswith("curl ") for f in findings)
    assert f"INVARIANT BROKEN: {invariant}" in run.output


@pytest.mark.parametrize("seed", SEEDS)
def test_the_clean_testbed_passes_the_route_surface(tmp_path: Path, seed: int) -> None:
    run = run_gate(tmp_path, "--hypothesis-seed", str(seed), select=SUITE)
    assert run.returncode == 0, run.output[-3000:]
    assert run.findings() == []
    assert "route cells sent: staff" in run.output
    assert "NOT checked 0" in run.output
    for report in ("report.html", "coverage.txt", "findings.md"):  # the matrix in each report
        assert "api-suffix" in (run.report_dir / report).read_text(), report
