"""The gate's bulk-delete invariant: a release-file bulk delete never reaches past its release.

"bulk-delete-stays-in-scope": a bulk delete (v1 ``DELETE release_file/?release=<pk>``, v2
``DELETE release_file/delete_by_release/?release=<pk>``, the spec's ``bulk_destroy``
operations), even by trusted staff, deletes no file outside the one release that a single
valid integer ``release`` filter names, and with no usable filter it deletes nothing. #3015
and #3016 fixed two forms of the same bug (no filter at all on v1, a blank one on v2); this
suite looks for every other form with the filters of ``strategies.bulk_filters``: blank,
whitespace, words, decimals, exponents, radix prefixes, signs, pks that do not exist,
repeated, re-cased and suffixed names, extra parameters, and the one legal form, which is
also the positive control (it must delete the target's files, or the check is blind).

Two tests, one job each:
- every label's explicit example, per operation, in one check, so every form runs in every run;
- Hypothesis draws filters of any label per operation, for the variety an example cannot give.

The whole state read back decides, never the status (``authfuzz.checks.bulk_deletes``).
Production targets: every test here writes, so all are skipped at collection with the reason
(the client's guard would refuse anyway).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authfuzz.checks.bulk_deletes import BulkDelete
from authfuzz.engine.engine import Engine
from authfuzz.engine.trial import Alone, Trial
from authfuzz.operations import Operation, write_operations
from authfuzz.outcomes import conclude
from authfuzz.plugin.parametrize import parametrize_checks, target_of
from strategies.bulk_filters import LABELS, bulk_filters, example_filter

PRODUCTION_SKIP = "production target: every test here writes (the client would refuse anyway)"
FUZZED_PER_EXAMPLE = (
    3  # filters per Hypothesis example: the ones that may delete nothing share a batch
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per bulk-delete operation of the spec (its operation id is the test id)."""
    if "bulk_operation" in metafunc.fixturenames:
        operations = write_operations(target_of(metafunc).spec)
        bulk = [(op.operation_id, op) for op in operations if op.kind == "bulk_destroy"]
        parametrize_checks(metafunc, "bulk_operation", bulk, on_production=PRODUCTION_SKIP)


def _trial(operation: Operation, case: object, tag: str) -> Trial:
    trial = BulkDelete(operation, case, tag)  # type: ignore[arg-type]
    return Alone(trial) if trial.alone else trial


def test_bulk_filter_examples_stay_in_scope(
    authfuzz_engine: Engine, bulk_operation: Operation
) -> None:
    trials = [_trial(bulk_operation, example_filter(label), "example") for label in LABELS]
    conclude(authfuzz_engine.run(trials).verdicts.values())


@given(data=st.data())
def test_fuzzed_bulk_filters_stay_in_scope(
    authfuzz_engine: Engine, bulk_operation: Operation, data: st.DataObject
) -> None:
    case = data.draw(bulk_filters(), label="bulk filter")
    conclude(authfuzz_engine.run([_trial(bulk_operation, case, "drawn")]).verdicts.values())
