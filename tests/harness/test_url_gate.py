"""The URL suite end to end: each URL defect fails it, naming the field and the category.

The values come from the URL strategies (their per-category examples and
Hypothesis draws), never from a literal in this file: the assertions are on
the categories a finding names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from tests.harness.gate import REPO, run_gate

pytestmark = pytest.mark.slow

SUITE = "suites/test_url_policy.py"


def _categories(findings: list[dict[str, Any]]) -> set[str]:
    return {
        str(label).split(":", 1)[1]
        for f in findings
        for label in f["labels"]
        if str(label).startswith("category:")
    }


@pytest.mark.parametrize(
    ("defect", "must_name", "exactly"),
    [
        ("no-url-constraint", {"other-host", "lookalike-host", "scheme-relative"}, False),
        # These two let through one category only: anything else named is a false positive.
        ("http-urls", {"http-scheme"}, True),
        ("sidecar-mismatch", {"sidecar-mismatch"}, True),
        ("lookalike-host", {"lookalike-host"}, False),
    ],
)
def test_each_url_defect_fails_the_url_suite(
    tmp_path: Path, defect: str, must_name: set[str], exactly: bool
) -> None:
    run = run_gate(tmp_path, "--defects", defect, select=SUITE)
    assert run.returncode == 1, run.output[-3000:]
    findings = [f for f in run.findings() if f["invariant"] == "no-foreign-url"]
    assert findings
    assert must_name <= _categories(findings)
    if exactly:
        assert _categories(findings) == must_name
    assert all(any(str(label).startswith("field:") for label in f["labels"]) for f in findings)
    principals = load_target(REPO / "targets.toml", "testbed").principals
    assert not Redactor.for_principals(principals).contains_secret(run.everything_written())
