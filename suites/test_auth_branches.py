"""The gate's first invariant: no unauthenticated write, across every negative branch.

Four tests, one job each:
- every (branch, write operation) cell runs its explicit example, so no branch
  depends on luck, and the coverage matrix has no silent gaps;
- every labelled sub-form of every branch runs too, as a fixed attempt, spread
  over the operations as ``strategies.subforms`` explains, so no form of a
  branch depends on luck either;
- Hypothesis draws attempts from every branch against each operation, for the
  variety a fixed example cannot give;
- every branch is also put through the identity probe, the read-only check
  that is all a production target ever receives.
The positive control proves each write works with valid staff credentials, so
a rejection really is a rejection and not a broken request.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authfuzz.branches import Api, Branch
from authfuzz.coverage import EXERCISED, SKIPPED, Cell
from authfuzz.findings import Finding, FindingError
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.operations import Operation, write_operations
from authfuzz.outcomes import exercising, settle
from authfuzz.plugin import configured_target
from authfuzz.workbench import Workbench
from strategies.auth import example_attempt, negative_attempts, positive_attempt, unavailable_reason
from strategies.subforms import assigned, subform_labels


def _skip(cells: list[Cell], api: Api, branch: Branch, column: str, reason: str) -> None:
    cells.append(Cell(api.value, branch.slug, column, SKIPPED, reason))
    pytest.skip(reason)


def test_positive_control_can_write(
    authfuzz_workbench: Workbench, write_operation: Operation
) -> None:
    """A valid staff credential must be able to perform the write, or the gate is blind."""
    if authfuzz_workbench.target.is_production:
        pytest.skip("production target: no writes")
    attempt = positive_attempt(authfuzz_workbench.target.principals, write_operation.api)
    try:
        authfuzz_workbench.check_write(write_operation, attempt)
    except NotApplicableError as error:  # destructive = false, for a bulk delete
        pytest.skip(str(error))


def test_branch_example_never_writes(
    authfuzz_workbench: Workbench, branch_case: tuple[Operation, Branch], authfuzz_cells: list[Cell]
) -> None:
    operation, branch = branch_case
    principals = authfuzz_workbench.target.principals
    reason = unavailable_reason(principals, operation.api, branch)
    if reason:
        _skip(authfuzz_cells, operation.api, branch, operation.column, reason)
    attempt = example_attempt(principals, operation.api, branch)
    cell = Cell(operation.api.value, branch.slug, operation.column, EXERCISED)
    with exercising(authfuzz_cells, cell):
        settle(authfuzz_workbench.check_write(operation, attempt))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``subform_case``: the cells the covering set gives at least one sub-form, and no others
    (an empty cell would be a skip with nothing to say)."""
    if "subform_case" not in metafunc.fixturenames:
        return
    target = configured_target(metafunc.config)
    operations = write_operations(target.spec)
    cases = [
        (op, b)
        for op in operations
        for b in Branch.for_api(op.api)
        if unavailable_reason(target.principals, op.api, b) is None
        and assigned(target.principals, op, b, operations)
    ]
    metafunc.parametrize(
        "subform_case", cases, ids=[f"{op.operation_id}-{b.slug}" for op, b in cases]
    )


def test_branch_subforms_never_write(
    authfuzz_workbench: Workbench,
    subform_case: tuple[Operation, Branch],
    authfuzz_cells: list[Cell],
) -> None:
    """Every sub-form this cell is assigned; all are tried, and every finding is reported."""
    operation, branch = subform_case
    target = authfuzz_workbench.target
    if target.is_production:
        pytest.skip("production target: writes are replaced by identity probes")
    forms = assigned(target.principals, operation, branch, write_operations(target.spec))
    findings: list[Finding] = []
    unchecked: NotChecked | None = None
    for attempt in forms:
        cell = Cell(operation.api.value, branch.slug, operation.column, EXERCISED)
        try:
            with exercising(authfuzz_cells, replace(cell, subform=subform_labels(attempt))):
                settle(authfuzz_workbench.check_write(operation, attempt))
        except FindingError as error:
            findings += error.findings
        except NotChecked as error:
            unchecked = unchecked or error
    if findings:
        raise FindingError(*findings)
    if unchecked is not None:
        raise unchecked


@given(data=st.data())
def test_fuzzed_attempts_never_write(
    authfuzz_workbench: Workbench,
    write_operation: Operation,
    authfuzz_cells: list[Cell],
    data: st.DataObject,
) -> None:
    if authfuzz_workbench.target.is_production:
        pytest.skip("production target: writes are replaced by identity probes")
    principals = authfuzz_workbench.target.principals
    attempt = data.draw(negative_attempts(principals, write_operation.api), label="attempt")
    assert attempt.branch is not None
    cell = Cell(write_operation.api.value, attempt.branch.slug, write_operation.column, EXERCISED)
    with exercising(authfuzz_cells, cell):
        settle(authfuzz_workbench.check_write(write_operation, attempt))


def test_identity_probe(
    authfuzz_workbench: Workbench, probe_case: tuple[Api, Branch], authfuzz_cells: list[Cell]
) -> None:
    api, branch = probe_case
    principals = authfuzz_workbench.target.principals
    reason = unavailable_reason(principals, api, branch)
    if reason:
        _skip(authfuzz_cells, api, branch, "probe", reason)
    attempt = example_attempt(principals, api, branch)
    with exercising(authfuzz_cells, Cell(api.value, branch.slug, "probe", EXERCISED)):
        settle(authfuzz_workbench.check_identity(api, attempt))
