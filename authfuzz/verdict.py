"""The run's one verdict, decided here and nowhere else, from what actually happened.

A deploy gate is only worth its PASS if PASS means "every collected check ran, reached its
verdict, found nothing, and the target was read at the end". Every way a run can end (a
finding, a fault, an interrupt, a dead worker, ``--max-seconds``, a target that is not the
API) maps to exactly one of the verdicts below, and each has its own exit code, so a CI job
can tell "the deploy is vulnerable" from "the gate could not tell". Every output (end screen,
``findings.json``, ``report.html``, ``findings.md``, SARIF, ``requests.json``, JUnit) renders
the ``Ending`` this module returns; none decides on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"  # every check ran and reached its verdict; no finding; state read at the end
    FAIL = "fail"  # at least one finding (a finding stands even if the run did not finish)
    REFUSED = "refused"  # stopped before its first request: configuration, or the plan does not fit
    UNREACHABLE = "unreachable"  # the target stopped answering (or never did)
    NOT_CLEAN = "not clean"  # every test ran, nothing found, but not everything was checked
    INCOMPLETE = "incomplete"  # interrupted, a worker died, time ran out: tests did not run
    ERROR = "error"  # not the API, the trusted principal rejected, or the harness itself failed

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]

    @property
    def label(self) -> str:
        """How every output spells it: ``PASS``, ``NOT CLEAN``..."""
        return self.value.upper()


EXIT_CODES: dict[Verdict, int] = {
    Verdict.PASS: 0,
    Verdict.FAIL: 1,
    Verdict.REFUSED: 2,
    Verdict.UNREACHABLE: 3,
    Verdict.NOT_CLEAN: 4,
    Verdict.INCOMPLETE: 5,
    Verdict.ERROR: 6,
}


@dataclass(frozen=True)
class Ending:
    """A verdict and the one line that says why (empty for a plain PASS)."""

    verdict: Verdict
    reason: str = ""

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def headline(self) -> str:
        """``authfuzz: NOT CLEAN, 3 check(s) not checked``: the end screen's title."""
        if self.verdict is Verdict.PASS:
            return f"authfuzz: PASS, {self.reason or 'no findings'}"
        return f"authfuzz: {self.verdict.label}, {self.reason}"


@dataclass(frozen=True)
class RunFacts:
    """What the run amounted to, as counted by the collector: the verdict's only inputs."""

    findings: int = 0
    failed_without_finding: int = 0
    not_checked: int = 0
    not_checked_for_time: int = 0  # of not_checked: stopped by --max-seconds
    collected: int | None = None  # tests the run meant to run (None: not known)
    done: int = 0  # tests that reached an outcome
    interrupted: str | None = None  # "SIGINT", "SIGTERM"
    workers_lost: tuple[str, ...] = ()
    unreachable: str | None = None
    # An ending found before any test ran (refused, not the API, unreachable, interrupted
    # while starting up): nothing else happened, so nothing else can outrank it.
    early: Ending | None = None
    state_read: bool = True  # the target's state was read after the run (or needs no read)
    state_as_found: bool = True  # ... and everything the run changed was put back
    accepted: int = 0  # findings a --baseline accepts: reported, never counted in ``findings``

    @property
    def not_run(self) -> int:
        return max(0, (self.collected or 0) - self.done)


def decide(facts: RunFacts) -> Ending:
    """The one verdict. A finding outranks everything (it is confirmed alone before it is
    reported, so an interrupt does not make it less true); then the reasons the gate could
    not tell, most fundamental first; PASS only when nothing is left."""
    if facts.findings:
        known = f" (and {facts.accepted} accepted by the baseline)" if facts.accepted else ""
        return Ending(Verdict.FAIL, f"{facts.findings} new finding(s){known}" if facts.accepted
                      else f"{facts.findings} finding(s)")  # fmt: skip
    if facts.early is not None:
        return facts.early
    if facts.unreachable is not None:
        return Ending(Verdict.UNREACHABLE, facts.unreachable)
    if facts.interrupted is not None:
        return Ending(Verdict.INCOMPLETE, f"interrupted ({facts.interrupted}){_not_run(facts)}")
    if facts.workers_lost:
        names = ", ".join(facts.workers_lost)
        return Ending(Verdict.INCOMPLETE, f"worker(s) {names} died{_not_run(facts)}")
    if facts.not_checked_for_time:
        return Ending(
            Verdict.INCOMPLETE,
            f"--max-seconds ran out: {facts.not_checked_for_time} check(s) not run",
        )
    if facts.not_run:
        return Ending(Verdict.INCOMPLETE, f"{facts.not_run} of {facts.collected} test(s) not run")
    if facts.done == 0:
        return Ending(Verdict.REFUSED, "no test was selected, so nothing was checked")
    if facts.failed_without_finding:
        return Ending(
            Verdict.ERROR,
            f"{facts.failed_without_finding} test(s) failed without a finding (tracebacks above)",
        )
    if facts.not_checked:
        return Ending(Verdict.NOT_CLEAN, f"{facts.not_checked} check(s) not checked")
    if not facts.state_read:
        return Ending(Verdict.NOT_CLEAN, "the target's state could not be read after the run")
    if not facts.state_as_found:
        return Ending(Verdict.NOT_CLEAN, "the target was not left as found")
    if facts.accepted:
        return Ending(Verdict.PASS, f"no new finding; {facts.accepted} accepted by the baseline")
    return Ending(Verdict.PASS)


def _not_run(facts: RunFacts) -> str:
    if facts.collected is None:
        return ""
    return f" after {facts.done} of {facts.collected} test(s)"


@dataclass(eq=False)  # a plugin object: pluggy keeps it in sets
class DecidedExit:
    """Handed to ``pytest.main`` by ``authfuzz run`` as a plugin: the gate's plugin puts the
    decided exit code here, so the command never confuses it with pytest's own codes."""

    code: int | None = None
