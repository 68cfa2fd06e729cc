"""What one gate run amounts to: the figures a deploy decision and its reports rest on.

The controller builds a ``RunSummary`` from what the tests reported (findings, matrix
cells, request counts shipped back from pytest-xdist workers); the terminal summary and the
reports render it. Kept apart from pytest so the figures can be tested as plain data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from authfuzz.baseline import Baseline
from authfuzz.findings import Finding
from authfuzz.verdict import Ending, RunFacts, Verdict, decide


@dataclass
class OutcomeCounts:
    """Outcomes per test (not per phase): a test that fails in setup counts once, as failed."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def done(self) -> int:
        return self.passed + self.failed + self.skipped


@dataclass(frozen=True)
class NotCheckedTest:
    """A test whose check could not reach its verdict (``not_checked.Cause``), and why."""

    nodeid: str
    cause: str
    reason: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> NotCheckedTest:
        return cls(**json.loads(text))


CUSTODY = "custody"  # the controlling process's custody client, for a shared target


@dataclass
class WorkerRequests:
    """Requests one process sent, and what is left of its share of the target's budget."""

    sent: int = 0
    budget_limit: int | None = None
    budget_left: int | None = None
    custody: int = 0  # of ``sent``: custody's own (digests, put-backs), outside the budget
    spent: dict[str, int] = field(default_factory=dict)  # throttle bucket -> counted requests
    closed: dict[str, float] = field(default_factory=dict)  # bucket -> seconds a 429 closed it


@dataclass
class RequestTally:
    """Requests per process (``main`` or an xdist worker id), summed for the run."""

    workers: dict[str, WorkerRequests] = field(default_factory=dict)

    def add(
        self, worker: str, sent: int, budget_limit: int | None, budget_left: int | None
    ) -> None:
        entry = self.workers.setdefault(worker, WorkerRequests())
        entry.sent += sent
        entry.budget_limit = budget_limit
        entry.budget_left = budget_left

    def settle(
        self,
        worker: str,
        sent: int,
        budget_left: int | None,
        budget_limit: int | None,
        custody: int = 0,
        spent: dict[str, int] | None = None,
        closed: dict[str, float] | None = None,
    ) -> None:
        """The exact figures a process reports when it ends (after its fixtures' teardown)."""
        self.workers[worker] = WorkerRequests(
            sent, budget_limit, budget_left, custody, dict(spent or {}), dict(closed or {})
        )

    def closed(self) -> dict[str, float]:
        """Buckets a 429 closed, with the longest wait any process was told (seconds)."""
        out: dict[str, float] = {}
        for entry in self.workers.values():
            for label, seconds in entry.closed.items():
                out[label] = max(seconds, out.get(label, 0.0))
        return out

    @property
    def sent(self) -> int:
        return sum(entry.sent for entry in self.workers.values())

    @property
    def custody(self) -> int:
        return sum(entry.custody for entry in self.workers.values())

    def spent(self) -> dict[str, int]:
        """Counted requests per throttle bucket (``v2 admin``), over every process."""
        total: Counter[str] = Counter()
        for entry in self.workers.values():
            total.update(entry.spent)
        return dict(sorted(total.items()))

    def _budgeted(self) -> list[WorkerRequests]:
        return [e for w, e in self.workers.items() if w != CUSTODY]

    @property
    def budget_limit(self) -> int | None:
        limits = [entry.budget_limit for entry in self._budgeted()]
        if not limits or any(limit is None for limit in limits):
            return None
        return sum(limit for limit in limits if limit is not None)

    @property
    def budget_left(self) -> int | None:
        if self.budget_limit is None:
            return None
        return sum(entry.budget_left or 0 for entry in self._budgeted())


@dataclass(frozen=True)
class FindingGroup:
    """Findings that share an invariant and a branch: usually one bug, seen on many operations."""

    invariant: str
    branch: str
    oracles: tuple[str, ...]
    operations: tuple[str, ...]
    count: int
    first: Finding


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """One group per (invariant, branch), in order of first appearance."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.invariant, finding.branch), []).append(finding)
    return [
        FindingGroup(
            invariant=invariant,
            branch=branch,
            oracles=tuple(dict.fromkeys(f.oracle for f in members)),
            operations=tuple(dict.fromkeys(f.operation for f in members)),
            count=len(members),
            first=_most_direct(members),
        )
        for (invariant, branch), members in grouped.items()
    ]


def _most_direct(findings: list[Finding]) -> Finding:
    """The finding to show first: a read-back of a write beats a probe or a sweep."""
    return next((f for f in findings if f.oracle == "read-back"), findings[0])


@dataclass
class RunSummary:
    target: str
    environment: str
    profile: str
    workers: int
    tests: OutcomeCounts
    findings: list[Finding]
    requests: RequestTally
    seconds: float
    cells_exercised: int = 0
    cells_skipped: int = 0
    cells_missing: int = 0
    # Tests that failed with no finding: the harness could not check something (an error,
    # an unreachable target mid-run), which fails the gate but is not a vulnerability.
    failed_without_finding: list[str] = field(default_factory=list)
    # Tests whose check a fault, throttle, budget or the time limit stopped: not a finding,
    # not a pass, and a run with any is not clean.
    not_checked: list[NotCheckedTest] = field(default_factory=list)
    unreachable: str | None = None  # the circuit breaker's reason, if the run stopped early
    # What the run did to the target's data (custody.StateReport.to_dict()), and its lines for
    # the end screen; None when no process read the target (a run that stopped before).
    target_state: dict[str, object] | None = None
    target_state_lines: list[str] = field(default_factory=list)
    throttle_use: str = ""  # counted requests per throttle bucket against the target's limits
    # What a batch showed that none of its requests showed again alone: never a finding (the
    # engine found no request of the run that does it), never dropped either.
    unconfirmed: list[str] = field(default_factory=list)
    collected: int | None = None  # tests the run meant to run (None: it ended before knowing)
    interrupted: str | None = None  # "SIGINT", "SIGTERM": the run was stopped from outside
    workers_lost: list[str] = field(default_factory=list)
    early: Ending | None = None  # ended before its first test: refused, not the API...
    started_at: str = ""  # ISO 8601, UTC
    defects: str = ""  # the testbed's defect switches, if any
    # Findings accepted by --baseline: reported, not counted by the verdict.
    baseline: Baseline | None = None

    @property
    def new_findings(self) -> list[Finding]:
        """The findings the verdict counts: all, less those the baseline accepts."""
        return self.baseline.new(self.findings) if self.baseline else list(self.findings)

    @property
    def ending(self) -> Ending:
        """The run's one verdict and why (``authfuzz.verdict.decide``)."""
        state = self.target_state
        return decide(
            RunFacts(
                findings=len(self.new_findings),
                accepted=len(self.findings) - len(self.new_findings),
                failed_without_finding=len(self.failed_without_finding)
                or (0 if self.findings else self.tests.failed),
                not_checked=len(self.not_checked),
                not_checked_for_time=sum(1 for r in self.not_checked if r.cause == "time"),
                collected=self.collected,
                done=self.tests.done,
                interrupted=self.interrupted,
                workers_lost=tuple(self.workers_lost),
                unreachable=self.unreachable,
                early=self.early,
                state_read=state is None or bool(state.get("checked")),
                state_as_found=state is None or not state.get("left"),
            )
        )

    @property
    def verdict(self) -> str:
        """``pass``, ``fail``, ``not clean``...: ``Verdict``'s value, as every output stores it."""
        return self.ending.verdict.value

    @property
    def not_run(self) -> int:
        return max(0, (self.collected or 0) - self.tests.done)

    def not_checked_by_cause(self) -> dict[str, int]:
        return dict(Counter(record.cause for record in self.not_checked).most_common())

    def to_dict(self) -> dict[str, object]:
        """The summary as the reports store it (``findings.json`` ``summary``); no secrets."""
        return {
            "target": self.target,
            "environment": self.environment,
            "profile": self.profile,
            "workers": self.workers,
            "verdict": self.verdict,
            "reason": self.ending.reason,
            "exit_code": self.ending.exit_code,
            "started_at": self.started_at,
            "defects": self.defects,
            "findings": len(self.findings),
            "tests": {
                "passed": self.tests.passed,
                "failed": self.tests.failed,
                "skipped": self.tests.skipped,
                "not_run": self.not_run,
                "collected": self.collected,
            },
            "requests": self.requests.sent,
            "requests_custody": self.requests.custody,
            "requests_by_bucket": self.requests.spent(),
            "budget_limit": self.requests.budget_limit,
            "budget_left": self.requests.budget_left,
            "seconds": round(self.seconds, 1),
            "failed_without_finding": list(self.failed_without_finding),
            "not_checked": {
                "count": len(self.not_checked),
                "by_cause": self.not_checked_by_cause(),
                "tests": [dict(record.__dict__) for record in self.not_checked],
            },
            "unreachable": self.unreachable,
            "unconfirmed": list(self.unconfirmed),
            "target_state": self.target_state,
            "target_state_line": self.target_state_lines[0] if self.target_state_lines else "",
            "baseline": self.baseline.to_dict(self.findings) if self.baseline else None,
            "coverage": {
                "exercised": self.cells_exercised,
                "skipped": self.cells_skipped,
                "not_exercised": self.cells_missing,
            },
        }


def verdict_of(findings: Sequence[Finding], summary: dict[str, object]) -> str:
    """The verdict as every report spells it (``PASS``, ``NOT CLEAN``...), from the summary's
    own (decided once, by ``authfuzz.verdict``); FAIL for bare findings without one."""
    stored = summary.get("verdict")
    if isinstance(stored, str) and stored in {v.value for v in Verdict}:
        return Verdict(stored).label
    return Verdict.FAIL.label if findings else Verdict.PASS.label
