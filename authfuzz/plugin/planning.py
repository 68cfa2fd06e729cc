"""The run planned against the target's throttles before its first request.

Every process that collects computes the same plan from the same items; the one that
reports (this process without xdist, the controller with it) prints it and stops a run that
does not fit. Workers apply the same trim, so every process runs the same tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from authfuzz.plugin import config as run
from authfuzz.targets import Target
from authfuzz.throttles import spending
from authfuzz.throttles.fitting import PlanDecision, throttle_plan
from authfuzz.throttles.journal import Journal
from authfuzz.verdict import Ending, Verdict


def plan_collection(config: pytest.Config, items: list[pytest.Item]) -> None:
    """This process's plan from its own collection (and its trim and ceilings)."""
    if not run.names_a_target(config) or run.early(config) is not None:
        return
    target = run.configured_target(config)
    if target.throttles is None or (target.is_production and not target.throttles):
        return
    decision = _decide(config, target, [item.nodeid for item in items])
    if not run.is_worker(config):
        _announce(config, target, decision)
    elif decision.stop is not None:
        run.end_early(config, Ending(Verdict.REFUSED, decision.stop))
    config.stash[run.TRIM] = decision.plan.examples if decision.trimmed else None
    config.stash[run.CEILINGS] = decision.plan.ceilings(run.processes(config))


def plan_from_worker(config: pytest.Config, ids: list[str]) -> None:
    """With xdist the controller plans from the first worker's collection, before any test."""
    if run.PLANNED in config.stash or not run.names_a_target(config):
        return
    config.stash[run.PLANNED] = True
    target = run.configured_target(config)
    if target.throttles is not None:
        _announce(config, target, _decide(config, target, ids))


def _decide(config: pytest.Config, target: Target, ids: Sequence[str]) -> PlanDecision:
    return throttle_plan(
        list(ids),
        target,
        config.getoption("fit_throttle"),
        processes=run.processes(config),
        release_files=run.release_files(config),
        spent=_already_spent(config, target),
    )


def _announce(config: pytest.Config, target: Target, decision: PlanDecision) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    journal = journal_of(config, target)
    if reporter is not None:
        if journal is not None and journal.note:
            reporter.write_line(f"authfuzz: {journal.note}")
        reporter.write_line(f"authfuzz: {decision.describe()}")
    if decision.stop is not None:
        later = spending.when_it_fits(journal, target, decision.plan) if journal else ""
        run.end_early(
            config, Ending(Verdict.REFUSED, f"target {target.name!r}: {decision.stop}{later}")
        )


def journal_of(config: pytest.Config, target: Target) -> Journal | None:
    """This target's spend journal, read once per process (None: it keeps no history)."""
    if run.JOURNAL not in config.stash:
        config.stash[run.JOURNAL] = spending.open_journal(target, config.getoption("spend_journal"))
    return config.stash[run.JOURNAL]


def _already_spent(config: pytest.Config, target: Target) -> dict[str, int]:
    journal = journal_of(config, target)
    return spending.already_spent(journal, target) if journal is not None else {}
