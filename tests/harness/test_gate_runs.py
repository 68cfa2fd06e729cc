"""The gate end to end: clean passes with full coverage, each auth defect fails on its branch.

Each run is a real ``pytest suites`` subprocess against a real testbed. The
detection tests assert on the branch named in the findings, never on a literal
request: the finding has to come from the strategies' attempts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.branches import Api, Branch
from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from tests.harness.gate import REPO, GateRun, run_gate, shared_gate_run

pytestmark = pytest.mark.slow

PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    return run_gate(tmp_path_factory.mktemp("clean"))


def test_clean_testbed_passes_with_zero_findings(clean_run: GateRun) -> None:
    assert clean_run.returncode == 0, clean_run.output[-3000:]
    assert clean_run.findings() == []
    assert "authfuzz: PASS, no findings" in clean_run.output


def test_clean_run_matrix_has_every_branch_and_operation(clean_run: GateRun) -> None:
    matrix = clean_run.output.split("authfuzz: branch x operation coverage")[1].split(
        "ok: exercised"
    )[0]
    rows = {line.split()[0]: line.split()[1:] for line in matrix.splitlines() if line[:1].islower()}
    assert all("--" not in cells for cells in rows.values()), "a cell was not exercised"
    for api in Api:
        for branch in Branch.for_api(api):
            assert branch.slug in rows
    # The session-cookie branch really ran against writes (it needs a login).
    assert rows["session-cookie"][0] == "ok"
    assert "XX" not in matrix


@pytest.mark.parametrize(
    ("defect", "branch"),
    [
        ("guest-fallthrough", "wrong-key"),
        ("legacy-credentials", "legacy-query"),
        ("session-cookie-write", "session-cookie"),
        ("inactive-user", "inactive"),
    ],
)
def test_each_auth_defect_fails_the_gate_on_its_branch(
    tmp_path_factory: pytest.TempPathFactory, defect: str, branch: str
) -> None:
    # The same command as the reports' and the PoC round trip's tests: one run answers all.
    run = shared_gate_run(
        tmp_path_factory, "--defects", defect, select="suites/test_auth_branches.py"
    )
    assert run.returncode == 1, run.output[-3000:]
    assert branch in run.branches("read-back"), run.branches()
    assert branch in run.branches("identity-probe")
    assert "INVARIANT BROKEN: no-unauthenticated-write" in run.output
    # No secret anywhere the run wrote, near misses included.
    assert not Redactor.for_principals(PRINCIPALS).contains_secret(run.everything_written())
    assert (run.report_dir / "findings.md").read_text().startswith("# authfuzz report: FAIL")


def test_unknown_defect_is_one_clear_line(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--defects", "no-such-defect")
    assert run.returncode == 2
    assert "unknown defect no-such-defect; valid defects are: guest-fallthrough" in run.output
    assert "Traceback" not in run.output


def test_bad_targets_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "targets.toml"
    bad.write_text('[targets.x]\nenvironment = "local"\n')
    run = run_gate(tmp_path, "--targets-file", str(bad), "--target", "x")
    assert run.returncode == 2
    assert "targets.x: missing base_url" in run.output
    assert "Traceback" not in run.output


def test_unreachable_target_stops_the_run_with_one_line(tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[targets.gone]\nbase_url = "http://127.0.0.1:9"\nenvironment = "local"\n'
        '[[targets.gone.principals]]\nname = "a"\nusername = "a"\nrole = "staff"\n'
        f'api_key = "{"ab12" * 10}"\ntoken = "{"cd34" * 10}"\n'
    )
    run = run_gate(tmp_path, "--targets-file", str(targets), "--target", "gone")
    assert run.returncode == 3, run.output[-2000:]
    assert "target 'gone' at http://127.0.0.1:9 is unreachable" in run.output
    assert "Traceback" not in run.output
