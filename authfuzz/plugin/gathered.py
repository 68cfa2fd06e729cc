"""What a run gathers from its test reports, in the controlling process (or a plain run).

Plain data: the collector fills it, ``closing`` turns it into the verdict and the reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from authfuzz.baseline import Baseline
from authfuzz.coverage import Matrix
from authfuzz.dimension_matrix import DimensionMatrix
from authfuzz.engine.engine import Unconfirmed
from authfuzz.findings import Finding
from authfuzz.run_summary import NotCheckedTest, OutcomeCounts, RequestTally
from authfuzz.surface.matrix import RouteMatrix


@dataclass
class RunState:
    """What the controller gathers from every test report (also from xdist workers)."""

    matrix: Matrix = field(default_factory=Matrix)
    routes: RouteMatrix = field(default_factory=RouteMatrix)
    dimensions: DimensionMatrix = field(default_factory=DimensionMatrix)
    findings: list[Finding] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    tests: OutcomeCounts = field(default_factory=OutcomeCounts)
    requests: RequestTally = field(default_factory=RequestTally)
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> worst so far
    with_findings: set[str] = field(default_factory=set)  # nodeids that reported a finding
    failed_without_finding: list[str] = field(default_factory=list)
    not_checked: dict[str, NotCheckedTest] = field(default_factory=dict)  # by nodeid
    # Counted requests per test and throttle bucket (requests.json; bench/economy.py)
    spent_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    # The same per test, by bucket and purpose ("v2 admin: read-back")
    purposes_by_test: dict[str, dict[str, int]] = field(default_factory=dict)
    unreachable: str | None = None  # why the run stopped early: the target went away
    # Changes a batch showed that none of its trials showed again alone: never findings
    unconfirmed: list[Unconfirmed] = field(default_factory=list)
    collected: int | None = None  # tests collected (the progress line's total)
    interrupted: str | None = None  # Ctrl-C or the signal that stopped the run
    workers_lost: list[str] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    baseline: Baseline | None = None  # --baseline: findings reported, not failed on
    exported: list[Any] = field(default_factory=list)  # PoC files written from the findings
