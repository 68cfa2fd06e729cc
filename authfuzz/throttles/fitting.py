"""Deciding, before the run, whether it fits the target's throttles, and trimming it to fit.

``throttle_plan`` gives the decision every process of a run computes alike from the same
collected tests; ``apply_trim`` gives a fuzzed test the trimmed number of examples.

Hypothesis binds a test's settings when the test module is imported, before the tests are
collected, so a trimmed profile alone would reach only Schemathesis (which reads the profile
when its test runs). For ``@given`` tests the trimmed settings are set on the test function,
the way Hypothesis's own pytest plugin sets per-item settings, just before the test runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import settings

from authfuzz.targets import Target
from authfuzz.throttles import costs
from authfuzz.throttles.plan import Plan, fitted, plan, test_function

FITTED_PROFILE = "authfuzz-fitted"


@dataclass(frozen=True)
class PlanDecision:
    plan: Plan
    full_examples: int  # per fuzzed test, before any trim
    trimmed: bool
    stop: str | None  # why the run must not start, if it must not

    def describe(self) -> str:
        if self.trimmed:
            how = (
                "no fuzzed examples, only the explicit ones"
                if self.plan.examples == 0
                else f"{self.plan.examples} examples per fuzzed test"
            )
            head = f"throttle plan, trimmed by --fit-throttle to {how} (from {self.full_examples})"
        else:
            head = f"throttle plan ({self.full_examples} examples per fuzzed test)"
        return f"{head}: {self.plan.describe()}"


def throttle_plan(
    nodeids: list[str],
    target: Target,
    fit: bool,
    *,
    processes: int,
    release_files: int | None,
    spent: dict[str, int] | None = None,
) -> PlanDecision:
    """``spent``: what each bucket already spent in its window (the spend journal)."""
    assert target.throttles is not None
    current = settings.default
    examples = int(current.max_examples) if current is not None else 0
    options: dict[str, Any] = {
        "processes": processes,
        "release_files": release_files,
        "read_only": target.is_production,
        "spent": spent,
    }
    full = plan(nodeids, examples, target.principals, target.throttles, **options)
    if full.fits:
        return PlanDecision(full, examples, trimmed=False, stop=None)
    if not fit:
        size = f" (at this size it {full.too_big()})" if full.too_big() else ""
        return PlanDecision(
            full,
            examples,
            trimmed=False,
            stop=f"the run does not fit its throttles: {full.overage()}{size}; --fit-throttle "
            "trims fuzzed examples until it does (the explicit examples stay), or give the "
            "deployment's real limits as throttles in targets.toml",
        )
    smaller = fitted(nodeids, examples, target.principals, target.throttles, **options)
    if not smaller.fits:
        return PlanDecision(
            smaller,
            examples,
            trimmed=True,
            stop="the run does not fit its throttles even with no fuzzed example: "
            f"{smaller.overage()}",
        )
    if smaller.examples:
        settings.register_profile(
            FITTED_PROFILE, settings.get_profile(settings.get_current_profile_name()),
            max_examples=smaller.examples,
        )  # fmt: skip
        settings.load_profile(FITTED_PROFILE)
    return PlanDecision(smaller, examples, trimmed=True, stop=None)


def is_fuzzed(item: Any) -> bool:
    return test_function(item.nodeid) in costs.FUZZED


def apply_trim(item: Any, examples: int) -> None:
    """Give a ``@given`` test the trimmed number of examples (see the module's docstring)."""
    function: Any = getattr(item, "obj", None)
    if not getattr(function, "is_hypothesis_test", False) or not is_fuzzed(item):
        return
    function = getattr(function, "__func__", function)
    current = getattr(function, "_hypothesis_internal_use_settings", None) or settings.default
    function._hypothesis_internal_use_settings = settings(current, max_examples=examples)
