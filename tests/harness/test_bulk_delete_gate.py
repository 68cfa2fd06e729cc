"""The bulk-delete suite end to end: clean passes, unscoped-bulk-delete fails it on both APIs.

The filters come from ``strategies.bulk_filters`` (its per-label examples and Hypothesis
draws), never from a literal here, and the PoC files are not part of the run: a finding of
``bulk-delete-stays-in-scope`` on a ``bulk-filter:`` branch can only come from the generic check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from authfuzz.oracles.bulk_delete_scope import INVARIANT
from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from testbed.defects import DEFECT_NAMES
from tests.harness.gate import REPO, run_gate

pytestmark = pytest.mark.slow

SUITE = "suites/test_bulk_delete_scope.py"
V1 = "DELETE /api/v1/downloads/release_file/"
V2 = "DELETE /api/v2/downloads/release_file/delete_by_release/"
OTHER_DEFECTS = sorted(DEFECT_NAMES - {"unscoped-bulk-delete"})


def _scope_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["invariant"] == INVARIANT]


def test_clean_testbed_passes_the_bulk_delete_suite(tmp_path: Path) -> None:
    run = run_gate(tmp_path, select=SUITE)
    assert run.returncode == 0, run.output[-3000:]
    assert run.findings() == []
    assert " passed" in run.output and "failed" not in run.output.splitlines()[-1]


def test_unscoped_bulk_delete_is_found_by_the_generic_check_on_both_apis(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--defects", "unscoped-bulk-delete", select=SUITE)
    assert run.returncode == 1, run.output[-3000:]
    findings = _scope_findings(run.findings())
    assert findings and len(findings) == len(run.findings())
    assert all(f["branch"].startswith("bulk-filter:") for f in findings)
    assert all(f["oracle"] == "read-back" for f in findings)
    by_operation: dict[str, set[str]] = {}
    for finding in findings:
        by_operation.setdefault(finding["operation"], set()).add(finding["branch"])
    # v1 (#3015): no filter, or a name that is not exactly `release`, deleted every file;
    # v2 (#3016): a blank `release`, also as the last of several, deleted every file.
    assert {"bulk-filter:missing", "bulk-filter:name-case"} <= by_operation[V1], by_operation
    assert {"bulk-filter:blank", "bulk-filter:repeated"} <= by_operation[V2], by_operation
    # No finding on a form that HEAD treats the same with or without the defect.
    quiet = {"legal", "lenient-integer", "extra-params", "decimal", "exponent", "radix"}
    assert not {f"bulk-filter:{label}" for label in quiet} & set().union(*by_operation.values())
    for finding in findings:
        assert "deleted (an object it does not address)" in finding["evidence"]
        assert finding["curl"].startswith("curl ")
    assert "INVARIANT BROKEN: bulk-delete-stays-in-scope" in run.output
    principals = load_target(REPO / "targets.toml", "testbed").principals
    assert not Redactor.for_principals(principals).contains_secret(run.everything_written())


@pytest.mark.parametrize("defect", OTHER_DEFECTS)
def test_no_other_defect_trips_the_bulk_delete_suite(tmp_path: Path, defect: str) -> None:
    run = run_gate(tmp_path, "--defects", defect, select=SUITE)
    assert _scope_findings(run.findings()) == []
    assert run.returncode == 0, run.output[-3000:]
