"""The Schemathesis suite end to end: one item per API, clean passes, defects are found.

Each run is a real ``pytest suites/test_openapi_fuzz.py`` subprocess against its own testbed.
The detection tests assert on what the findings say (branch, field, category), never on a
literal request or value: those come from the strategies, through Schemathesis's cases.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from authfuzz.url_policy import URL_FIELDS
from strategies.urls import CATEGORIES, LEGAL_CATEGORIES
from tests.harness.gate import REPO, GateRun, run_gate

SUITE = "suites/test_openapi_fuzz.py"
TARGET = load_target(REPO / "targets.toml", "testbed")
REDACTOR = Redactor.for_principals(TARGET.principals)


def _run(tmp_path: Path, *args: str) -> GateRun:
    return run_gate(tmp_path, *args, select=SUITE)


def _assert_no_secret(run: GateRun) -> None:
    assert not REDACTOR.contains_secret(run.everything_written())


def test_collects_one_distinct_id_per_api(tmp_path: Path) -> None:
    """Schemathesis-notes gotcha 1: ids must not merge, so they are made at collection; the
    batched tests draw from both APIs, the stateful chains run per API."""
    run = _run(tmp_path, "--collect-only")
    assert run.returncode == 0, run.output[-3000:]
    ids = re.findall(r"^suites/test_openapi_fuzz\.py::(\w+)\[([^\]]+)\]$", run.output, re.M)
    assert ids, run.output[-3000:]
    counts = Counter(ids)
    assert max(counts.values()) == 1, [item for item, n in counts.items() if n > 1]
    by_test: dict[str, list[str]] = {}
    for test, param in ids:
        by_test.setdefault(test, []).append(param)
    assert by_test["test_negative_attempts_never_write"] == ["both"], by_test
    assert by_test["test_staff_url_writes_store_only_allowed_urls"] == ["both"], by_test
    assert sorted(by_test["test_stateful_chains"]) == ["v1", "v2"], by_test


def test_production_target_skips_every_test_and_starts_nothing(tmp_path: Path) -> None:
    run = _run(tmp_path, "--as-production", "-rs")
    assert run.returncode == 0, run.output[-3000:]
    assert "passed" not in run.output.splitlines()[-1]
    assert "production target: every test here writes" in run.output
    assert run.findings() == []


@pytest.mark.slow
def test_clean_testbed_passes_with_zero_findings_under_xdist(tmp_path: Path) -> None:
    run = _run(tmp_path, "-n", "2")
    assert run.returncode == 0, run.output[-3000:]
    assert run.findings() == []
    _assert_no_secret(run)


@pytest.mark.slow
def test_guest_fallthrough_is_found_through_the_openapi_cases(tmp_path: Path) -> None:
    run = _run(tmp_path, "--defects", "guest-fallthrough")
    assert run.returncode == 1, run.output[-3000:]
    findings = run.findings()
    assert findings, run.output[-3000:]
    assert {f["invariant"] for f in findings} == {"no-unauthenticated-write"}
    assert all("schemathesis" in f["labels"] for f in findings)
    # The Feb-2026 branch: a known username with a key that is not theirs.
    assert run.branches("read-back") & {"wrong-key", "other-users-key"}, run.branches()
    assert all(f["operation"].split()[1].startswith("/api/v1/") for f in findings)
    assert "INVARIANT BROKEN: no-unauthenticated-write" in run.output
    _assert_no_secret(run)


@pytest.mark.slow
def test_no_url_constraint_is_found_with_field_and_category(tmp_path: Path) -> None:
    run = _run(tmp_path, "--defects", "no-url-constraint")
    assert run.returncode == 1, run.output[-3000:]
    findings = [f for f in run.findings() if f["invariant"] == "no-foreign-url"]
    assert findings, run.output[-3000:]
    rejected = set(CATEGORIES) - LEGAL_CATEGORIES
    for finding in findings:
        labels = dict(label.split(":", 1) for label in finding["labels"] if ":" in label)
        field, category = labels.get("field"), labels.get("category")
        # The stateful run's findings carry Schemathesis's own values ("generated").
        assert field in URL_FIELDS, finding
        assert category in rejected | {"generated"}, finding
        assert f"field {field}, category {category}" in finding["summary"]
    assert any(
        dict(label.split(":", 1) for label in f["labels"] if ":" in label)["category"] in rejected
        for f in findings
    )
    assert "INVARIANT BROKEN: no-foreign-url" in run.output
    _assert_no_secret(run)


def test_every_schemathesis_check_is_on_or_off_with_its_reason_once() -> None:
    """The one list of Schemathesis's checks: each one it registers is either run or off with a
    reason, never both and never neither (a new Schemathesis check must be decided)."""
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the built-in checks)
    from schemathesis.checks import CHECKS

    from authfuzz.openapi.config import BUILTIN_CHECKS_OFF, BUILTIN_CHECKS_ON, STATEFUL_CHECKS_ON

    on = set(BUILTIN_CHECKS_ON) | set(STATEFUL_CHECKS_ON)
    assert not on & set(BUILTIN_CHECKS_OFF)
    assert set(CHECKS.get_all_names()) <= on | set(BUILTIN_CHECKS_OFF)
    assert all(reason.strip() for reason in BUILTIN_CHECKS_OFF.values())
