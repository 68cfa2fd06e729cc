"""What a test's report carries to the controller, and what a process hands on when it ends.

With pytest-xdist every test runs in a worker and only its report reaches the controller:
findings, unconfirmed changes, what could not be checked and the requests spent travel as
report properties (a plain run reads them the same way). The controller hands each worker
the run's journals, deadline and early ending (``workerinput``); a worker hands back its
exact final request figures and its custody report (``workeroutput``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from authfuzz.client import Client
from authfuzz.findings import Finding, FindingError
from authfuzz.plugin import config as run


@dataclass
class RequestCounter:
    """Per process: the client's figures already shipped in a test report."""

    client: Client
    reported: int = 0
    spent: dict[str, int] = field(default_factory=dict)  # throttle bucket -> counted so far
    purposes: dict[str, int] = field(default_factory=dict)  # "bucket: purpose" -> counted

    def since_last_report(self, worker: str) -> dict[str, Any]:
        """What this process sent since its last report (and remember it as reported)."""
        client = self.client
        spent, purposes = client.tally.snapshot(), client.tally.purposes()
        figures = {
            "worker": worker,
            "sent": client.sent - self.reported,
            "budget_limit": client.budget.limit,
            "budget_left": client.budget.remaining,
            "spent": _delta(spent, self.spent),
            "purposes": _delta(purposes, self.purposes),
        }
        self.reported, self.spent, self.purposes = client.sent, spent, purposes
        return figures


# This process's counter (kept here, beside its class: ``config`` imports no neighbour).
REQUESTS: pytest.StashKey[RequestCounter] = pytest.StashKey()


def _delta(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {key: n - before.get(key, 0) for key, n in now.items() if n != before.get(key, 0)}


def final_figures(worker: str, client: Client) -> dict[str, Any]:
    """A process's exact request figures when it ends (``RequestTally.settle``'s arguments)."""
    now = time.monotonic()
    return {
        "worker": worker,
        "sent": client.sent,
        "budget_left": client.budget.remaining,
        "budget_limit": client.budget.limit,
        "custody": client.custody_sent,
        "spent": client.tally.snapshot(),
        "closed": {
            label: until - now for label, until in client.tally.closed.items() if until > now
        },
    }


def file_report(item: pytest.Item, call: pytest.CallInfo[None], report: Any) -> Any:
    """The report with the findings and request counts it carries to the controller."""
    if call.excinfo is not None:
        for finding in findings_in(call.excinfo.value):
            report.user_properties.append((run.FINDING_PROPERTY, finding.to_json()))
    if call.when != "teardown":
        return report
    engine = item.config.stash.get(run.ENGINE, None)
    if engine is not None and engine.unconfirmed:
        for seen in engine.unconfirmed:
            report.user_properties.append((run.UNCONFIRMED_PROPERTY, seen.to_json()))
        engine.unconfirmed.clear()
    counter = item.config.stash.get(REQUESTS, None)
    if counter is not None:
        # Requests travel with the report, so the controller's progress counts them live.
        figures = counter.since_last_report(run.worker_id(item.config))
        report.user_properties.append((run.REQUESTS_PROPERTY, json.dumps(figures)))
    return report


def findings_in(error: BaseException) -> list[Finding]:
    if isinstance(error, FindingError):
        return list(error.findings)
    if isinstance(error, BaseExceptionGroup):
        return [f for inner in error.exceptions for f in findings_in(inner)]
    return []


def hand_to_worker(node: Any) -> None:
    """What the controller tells a worker it starts: the journals directory (it cleans up
    after them), the target's size, the deadline and an ending already decided."""
    config = node.config
    journals = run.journals(config)
    if journals is not None:
        node.workerinput[run.JOURNALS_INPUT] = str(journals)
    files = run.release_files(config)
    if files is not None:
        node.workerinput[run.RELEASE_FILES_INPUT] = files
    node.workerinput[run.DEADLINE_INPUT] = config.stash.get(run.DEADLINE, None)
    early = run.early(config)
    if early is not None:
        node.workerinput[run.EARLY_INPUT] = (early.verdict.value, early.reason)


def hand_back(config: pytest.Config) -> None:
    """A worker's last words: its custody report (its own testbed) or its protector's log."""
    output = config.workeroutput  # type: ignore[attr-defined]
    if run.STATE in config.stash:
        output[run.STATE_OUTPUT] = config.stash[run.STATE]
    if run.DURING in config.stash:
        log = config.stash[run.DURING]
        output[run.DURING_OUTPUT] = {"restored": log.restored, "failed": log.failed}
