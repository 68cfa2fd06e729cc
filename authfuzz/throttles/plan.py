"""Before the run: what each throttle bucket will spend, against the target's limits.

The estimate is the measured cost of each collected test (``costs``: counted requests per
test, or per example for the fuzzed ones, by the identity that spends them), summed over the
tests this run collected, plus each process's own (custody's digests, the canaries), plus
the stored-URL sweep's pages for the number of release files the target has. It errs high
(``MARGIN``, ``SLACK``): a plan is useful only as an upper bound. Each bucket custody settles
the target with also keeps ``reserve.CLEAN_UP`` requests for the end, out of the checks' reach.

A plan that does not fit either stops the run before it starts (exit code 2, one line that
says by how much), or, with ``--fit-throttle``, is trimmed: fuzzed examples go first, down to
none, so the explicit examples, which exercise every cell of the matrix, always stay. A plan
that does not fit even then stops the run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from authfuzz.openapi import stateful_scenarios
from authfuzz.principals import Principals, Role
from authfuzz.throttles import costs
from authfuzz.throttles.buckets import ANONYMOUS, GUEST, Bucket
from authfuzz.throttles.rates import Throttles
from authfuzz.throttles.reserve import CLEAN_UP, Ceilings, ceilings, reserved_buckets

# Relative margins over the measured costs: a fuzzed test's cost is an average over random
# draws of one measured run and varies from run to run; an explicit test sends the same
# requests every run, so its cost varies only with what the target answers.
MARGIN = 1.15  # fuzzed tests
EXPLICIT_MARGIN = 1.03  # explicit tests
SLACK = 5  # absolute: a bucket spent only by a few random draws varies by a few requests


@dataclass(frozen=True)
class PlanLine:
    bucket: Bucket
    planned: int
    limit: int
    per: str
    already: int = 0  # spent in the current window by earlier runs (the spend journal)
    reserved: int = 0  # kept out of the checks' reach for clean-up (``reserve``)

    @property
    def over(self) -> int:
        return max(0, self.planned + self.reserved + self.already - self.limit)

    @property
    def left(self) -> int:
        return max(0, self.limit - self.already)

    def describe(self) -> str:
        kept = f" + {self.reserved:,} kept for clean-up" if self.reserved else ""
        if self.already:
            text = (
                f"{self.bucket.label} {self.planned:,}{kept} of {self.left:,} left "
                f"({self.limit:,}/{self.per}, {self.already:,} spent already)"
            )
        else:
            text = f"{self.bucket.label} {self.planned:,}{kept} of {self.limit:,}/{self.per}"
        return text + (f" ({self.over:,} over)" if self.over else "")

    def windows(self) -> int:
        """How many whole windows (days, hours) this bucket's share of the run needs."""
        return math.ceil((self.planned + self.reserved) / self.limit) if self.limit else 0

    def runs(self) -> int:
        """How many runs like this one a fresh window holds."""
        need = self.planned + self.reserved
        return self.limit // need if need else 0


@dataclass(frozen=True)
class Plan:
    lines: tuple[PlanLine, ...]
    examples: int  # per fuzzed test

    @property
    def fits(self) -> bool:
        return all(line.over == 0 for line in self.lines)

    def describe(self) -> str:
        return " | ".join(line.describe() for line in self.lines)

    def overage(self) -> str:
        return "; ".join(line.describe() for line in self.lines if line.over)

    def too_big(self) -> str:
        """``needs 3 days of the v2 editor bucket`` when no fresh window holds the run."""
        worst = max(self.lines, key=PlanLine.windows, default=None)
        if worst is None or worst.windows() <= 1:
            return ""
        return f"needs {worst.windows()} {worst.per}s of the {worst.bucket.label} bucket"

    def runs_per_window(self) -> str:
        """``3 runs a day (v2 admin), ...``: the tightest bucket of each window length."""
        tightest: dict[str, PlanLine] = {}
        for line in self.lines:
            if line.per not in tightest or line.runs() < tightest[line.per].runs():
                tightest[line.per] = line
        return ", ".join(
            f"{line.runs()} a {line.per} ({line.bucket.label})" for line in tightest.values()
        )

    def ceilings(self, processes: int) -> Ceilings:
        """How far each process's checks may spend each bucket (``reserve``)."""
        return ceilings(
            {line.bucket.label: line.left for line in self.lines},
            {line.bucket.label: line.reserved for line in self.lines},
            processes,
        )


def test_function(nodeid: str) -> str:
    """``suites/test_x.py::test_y[params]`` -> ``test_y``."""
    return nodeid.split("::")[-1].split("[", 1)[0]


def plan(
    nodeids: Iterable[str],
    examples: int,
    principals: Principals,
    throttles: Throttles,
    *,
    processes: int = 1,
    release_files: int | None = None,
    read_only: bool = False,
    spent: dict[str, int] | None = None,
) -> Plan:
    """What a run of these tests, with ``examples`` per fuzzed test, spends per bucket.

    ``read_only``: a production target, where only the read-only tests send anything.
    """
    symbolic: dict[str, float] = {}
    for nodeid in nodeids:
        name = test_function(nodeid)
        if read_only and name not in costs.READ_ONLY:
            continue
        if name in costs.PER_EXAMPLE:
            scale = examples if name != costs.STATEFUL else stateful_scenarios(examples)
            for identity, cost in costs.PER_EXAMPLE[name].items():
                symbolic[identity] = symbolic.get(identity, 0.0) + cost * scale * MARGIN
        for identity, cost in costs.PER_TEST.get(name, {}).items():
            symbolic[identity] = symbolic.get(identity, 0.0) + cost * EXPLICIT_MARGIN
        if name == costs.SWEEP and release_files is not None and "v1" in nodeid:
            extra_pages = max(0, math.ceil(release_files / costs.SWEEP_PAGE) - 1)
            symbolic["v1 trusted"] = symbolic.get("v1 trusted", 0.0) + extra_pages
    for identity, cost in costs.PER_PROCESS.items():
        symbolic[identity] = symbolic.get(identity, 0.0) + cost * processes * MARGIN
    by_bucket: dict[Bucket, float] = {}
    for identity, amount in sorted(symbolic.items()):
        bucket = _bucket(identity, principals)
        if bucket is not None and amount > 0:
            by_bucket[bucket] = by_bucket.get(bucket, 0.0) + amount
    kept = () if read_only else reserved_buckets(principals)
    for bucket in kept:
        by_bucket.setdefault(bucket, 0.0)
    lines = []
    for bucket, amount in by_bucket.items():
        rate = throttles.limit(bucket.throttle)
        already = (spent or {}).get(bucket.label, 0)
        planned = math.ceil(amount) + SLACK if amount else 0
        reserve = CLEAN_UP if bucket in kept else 0
        lines.append(PlanLine(bucket, planned, rate.requests, rate.per, already, reserve))
    return Plan(tuple(lines), examples)


def fitted(
    nodeids: list[str],
    examples: int,
    principals: Principals,
    throttles: Throttles,
    **kwargs: int | bool | dict[str, int] | None,
) -> Plan:
    """The largest number of fuzzed examples (down to 0) whose plan fits, or the plan with 0."""
    for trimmed in range(examples, -1, -1):
        candidate = plan(nodeids, trimmed, principals, throttles, **kwargs)  # type: ignore[arg-type]
        if candidate.fits:
            return candidate
    return candidate


def _bucket(identity: str, principals: Principals) -> Bucket | None:
    """``v2 trusted`` -> the bucket of the target's trusted principal, and so on."""
    api, _, who = identity.partition(" ")
    if who == "anonymous-or-guest":
        return Bucket(api, GUEST if api == "v1" else ANONYMOUS)
    if who == "trusted":
        trusted = principals.trusted()
        return Bucket(api, trusted.name) if trusted is not None else None
    if who == "staff":
        # The other staff principal: it reads state back (``Principals.reader``) and makes
        # the objects of another provenance; with one staff principal, the trusted one.
        reader = principals.reader()
        return Bucket(api, reader.name) if reader is not None else None
    members = principals.with_role(Role.USER) if who == "user" else ()
    return Bucket(api, members[0].name) if members else None


def spend_against_limits(spent: dict[str, int], throttles: Throttles | None) -> str:
    """What each bucket spent in the run, against its limit (``v2 admin 2,571 of 3,000/day``)."""
    if throttles is None:
        return ""
    parts = []
    for label, n in sorted(spent.items()):
        rate = throttles.limit(Bucket.from_label(label).throttle)
        parts.append(f"{label} {n:,} of {rate.requests:,}/{rate.per}")
    return " | ".join(parts)
