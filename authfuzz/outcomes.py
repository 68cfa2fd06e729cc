"""How a check's verdicts end a gate test, the same way in every suite.

A suite hands the engine its trials and gets a verdict per trial. ``conclude`` turns them into
the test's outcome: every finding fails the test (``FindingError`` carries them all to the
reports); a trial that could not reach its verdict stops it as ``NotChecked`` (the plugin makes
that a skip that is counted and fails the run); when no trial applied to this target the test
is a plain skip with the reason; otherwise it passes. ``status`` is a verdict's mark in a
coverage matrix.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED
from authfuzz.findings import Finding, FindingError
from authfuzz.not_checked import NotChecked
from authfuzz.oracles import Outcome, Verdict


def status(verdict: Verdict) -> str:
    if verdict.outcome is Outcome.FINDING:
        return FINDING
    if verdict.outcome is Outcome.PASS:
        return EXERCISED
    return UNCHECKED if verdict.cause is not None else SKIPPED


def conclude(verdicts: Iterable[Verdict]) -> None:
    """Fail on findings (each once), stop on what could not be checked, skip if nothing applied."""
    every = list(verdicts)
    findings: list[Finding] = []
    for verdict in every:
        if verdict.finding is not None and verdict.finding not in findings:
            findings.append(verdict.finding)
    if findings:
        raise FindingError(*findings)
    for verdict in every:
        verdict.raise_not_checked()
    if every and all(v.outcome is Outcome.INCONCLUSIVE for v in every):
        pytest.skip(every[0].reason)


def not_checked(error: NotChecked) -> Verdict:
    return Verdict.not_checked(error.reason, error.cause)
