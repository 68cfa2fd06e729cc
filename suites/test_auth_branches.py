"""The gate's first invariant: no unauthenticated write, across every negative branch.

Four tests, one job each:
- the positive control proves each write works with valid staff credentials (its documented
  effect, read back), so a rejection really is a rejection and not a broken request;
- every negative branch of each API is sent against every write operation: the branch's
  explicit example on every operation and every labelled sub-form on the operations the
  covering set assigns it (``strategies.subforms``), so no branch and no form of one depends on
  luck, and the coverage matrix has no silent gaps;
- Hypothesis draws attempts of every branch against every operation of an API, for the
  variety a fixed example cannot give;
- every branch is also put through the identity probe, the read-only check that is all a
  production target ever receives.

Each test is one check: its attempts go to the engine together, are sent in batches between
reads of the whole state, and any change anywhere that no valid staff write explains is a
finding of the attempt that made it, confirmed alone (``authfuzz.engine``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authfuzz.branches import Api, Branch
from authfuzz.checks.auth_writes import Control, NegativeWrite
from authfuzz.checks.identity import IdentityProbe
from authfuzz.coverage import SKIPPED, Cell
from authfuzz.engine.engine import Engine
from authfuzz.engine.trial import Alone, Trial
from authfuzz.operations import Operation, write_operations
from authfuzz.outcomes import conclude, status
from strategies.auth import example_attempt, negative_attempts, positive_attempt, unavailable_reason
from strategies.subforms import branch_cells

FUZZED_PER_EXAMPLE = 20  # attempts per Hypothesis example: one batch
PRODUCTION_SKIP = "production target: writes are replaced by identity probes"


def _operations(engine: Engine, api: Api) -> list[Operation]:
    return [op for op in write_operations(engine.bench.target.spec) if op.api is api]


def _run(engine: Engine, cells: list[Cell], planned: list[tuple[Trial, Cell]]) -> None:
    """Send the trials as one check; every cell gets its trial's verdict, then the test ends."""
    results = engine.run([trial for trial, _ in planned])
    for trial, cell in planned:
        verdict = results.verdicts[trial.key]
        cells.append(
            Cell(cell.api, cell.branch, cell.column, status(verdict), verdict.reason, cell.subform)
        )
    conclude(results.verdicts[trial.key] for trial, _ in planned)


def test_positive_controls_can_write(authfuzz_engine: Engine, auth_api: Api) -> None:
    """A valid staff credential must be able to perform every write, or the gate is blind."""
    target = authfuzz_engine.bench.target
    if target.is_production:
        pytest.skip("production target: no writes")
    attempt = positive_attempt(target.principals, auth_api)
    controls = [Alone(Control(op, attempt)) for op in _operations(authfuzz_engine, auth_api)]
    results = authfuzz_engine.run(controls)
    conclude(results.verdicts.values())


def test_branch_never_writes(
    authfuzz_engine: Engine, auth_branch: tuple[Api, Branch], authfuzz_cells: list[Cell]
) -> None:
    """The branch's example on every write operation of its API, and each sub-form the
    covering set assigns to an operation, in one check."""
    api, branch = auth_branch
    target = authfuzz_engine.bench.target
    operations = _operations(authfuzz_engine, api)
    reason = unavailable_reason(target.principals, api, branch)
    if reason or target.is_production:
        why = reason or PRODUCTION_SKIP
        authfuzz_cells += [
            Cell(api.value, branch.slug, op.column, SKIPPED, why) for op in operations
        ]
        pytest.skip(why)
    cells = branch_cells(target.principals, api, branch, write_operations(target.spec))
    planned: list[tuple[Trial, Cell]] = [
        (
            NegativeWrite(op, attempt, f"cell {n}"),
            Cell(api.value, branch.slug, op.column, "", "", labels),
        )
        for n, (op, attempt, labels) in enumerate(cells)
    ]
    _run(authfuzz_engine, authfuzz_cells, planned)


@given(data=st.data())
def test_fuzzed_attempts_never_write(
    authfuzz_engine: Engine, authfuzz_cells: list[Cell], data: st.DataObject
) -> None:
    """Attempts of any branch against any write operation of either API, a batch an example."""
    target = authfuzz_engine.bench.target
    if target.is_production:
        pytest.skip(PRODUCTION_SKIP)
    operations = write_operations(target.spec)
    pairs = data.draw(
        st.lists(
            st.sampled_from(operations).flatmap(
                lambda op: negative_attempts(target.principals, op.api).map(lambda a: (op, a))
            ),
            min_size=FUZZED_PER_EXAMPLE,
            max_size=FUZZED_PER_EXAMPLE,
        ),
        label="attempts",
    )
    planned: list[tuple[Trial, Cell]] = []
    for n, (op, attempt) in enumerate(pairs):
        assert attempt.branch is not None
        cell = Cell(op.api.value, attempt.branch.slug, op.column, "")
        planned.append((NegativeWrite(op, attempt, f"draw {n}"), cell))
    _run(authfuzz_engine, authfuzz_cells, planned)


def test_identity_probes(
    authfuzz_engine: Engine, auth_api: Api, authfuzz_cells: list[Cell]
) -> None:
    """Every branch of the API on a read of an unpublished release, in one check."""
    principals = authfuzz_engine.bench.target.principals
    planned: list[tuple[Trial, Cell]] = []
    for branch in Branch.for_api(auth_api):
        reason = unavailable_reason(principals, auth_api, branch)
        if reason:
            authfuzz_cells.append(Cell(auth_api.value, branch.slug, "probe", SKIPPED, reason))
            continue
        attempt = example_attempt(principals, auth_api, branch)
        planned.append(
            (IdentityProbe(auth_api, attempt), Cell(auth_api.value, branch.slug, "probe", ""))
        )
    _run(authfuzz_engine, authfuzz_cells, planned)
