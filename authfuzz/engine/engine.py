"""Run trials in batches between reads of the whole state; bisect, confirm, report.

``Engine.run(trials)`` gives every trial a verdict:

1. Trials are sent in batches of up to ``max_batch`` (risky ones, that could reach others'
   data, apart and under custody's protector; a positive control alone). Around each batch the
   whole state is read: before (free when nothing was sent since the last read) and after.
2. A clean batch (``judge``) passes every trial in it, except for a trial whose answer alone
   shows a violation, which is replayed alone; a trial whose answer was lost is sent once more.
3. A dirty batch: custody puts back what it changed. When each change names the trial that
   made it (``judge.suspects``: a created slug, the one object a trial aimed at), those trials
   are replayed alone and the rest sent again as a fresh batch; otherwise the batch is split in
   halves and each is sent again from that fresh state, under the run's exclusive lock, down
   to single trials.
4. A finding is reported only from a trial sent alone, under the exclusive lock, from fresh
   state, after it (or a batch holding it) was already seen doing it once. A dirty batch none
   of whose trials does it again alone is recorded as *unconfirmed*: never a finding, never
   silently dropped.

Every loop is bounded: a ``run`` sends at most ``max_batches`` batches (past that a group
still changing state alone is reported as one finding naming its trials).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from authfuzz.client import ApiRequest, ApiResponse, Purpose
from authfuzz.client.guard import Reach
from authfuzz.custody.lock import RunLock
from authfuzz.custody.protector import Protector
from authfuzz.engine.changes import CREATED, DELETED
from authfuzz.engine.judge import Judgement, Sent, judge, problem, suspects
from authfuzz.engine.trial import Alone, Shot, Trial
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import Cause, NotApplicableError, NotChecked
from authfuzz.oracles import Verdict, no_unauthenticated_write, unanswered
from authfuzz.vocabulary import RESOURCES
from authfuzz.workbench import Workbench
from authfuzz.world import Entry, World

MAX_BATCH = 64
_EVERYTHING = Reach("a batch of trials that could reach others' data", RESOURCES)


class PositiveControlError(AssertionError):
    """A valid staff write did not work: the gate would be blind, so the run must not pass."""


@dataclass(frozen=True)
class Unconfirmed:
    """A change or an answer a batch showed that none of its trials showed again alone."""

    trials: tuple[str, ...]  # their keys
    seen: str  # what was seen, redacted

    def line(self) -> str:
        shown = ", ".join(self.trials[:4]) + (" ..." if len(self.trials) > 4 else "")
        return f"{self.seen} (seen in a batch of {len(self.trials)}: {shown}; not again alone)"

    def to_json(self) -> str:
        return json.dumps({"trials": list(self.trials), "seen": self.seen}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Unconfirmed:
        data = json.loads(text)
        return cls(tuple(data["trials"]), str(data["seen"]))


@dataclass(frozen=True)
class Observation:
    """The last time a trial was sent: its shot and answer, and the batch's worlds and verdict."""

    sent: Sent
    before: World
    after: World
    judgement: Judgement


@dataclass
class Results:
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # by trial key
    unconfirmed: list[Unconfirmed] = field(default_factory=list)
    seen: dict[str, Observation] = field(default_factory=dict)  # by trial key
    batches: int = 0


@dataclass
class _Batch:
    trials: list[Trial]
    sent: list[Sent]
    before: World
    after: World
    judgement: Judgement
    exclusive: bool


class Engine:
    def __init__(
        self, bench: Workbench, *, protector: Protector | None = None, max_batch: int = MAX_BATCH
    ) -> None:
        """``protector``: custody's, with the run's lock on the target; by default one of this
        process alone (no other process shares the target, nothing to go back to but what a
        batch saw before)."""
        self.bench = bench
        self.client = bench.client
        self.protector = protector or Protector(
            bench.reader.sharing(custody=True), bench.client.ledger
        )
        self.lock: RunLock = self.protector.lock
        self.max_batch = max_batch
        # Every run's unconfirmed observations, until the plugin ships them with a test report.
        self.unconfirmed: list[Unconfirmed] = []
        # (invariant, branch, operation) of every finding confirmed so far by this process.
        self.confirmed: set[tuple[str, str, str]] = set()
        # Against a target with real throttles, one confirmed finding per (invariant, branch,
        # operation) is enough for the verdict: on a build where most attempts write, each
        # further trial of it (an attempt the server counts, a replay alone, reads, a put-back)
        # would spend the requests the next gate run needs for the same verdict; such trials
        # are not checked, with that reason. The embedded testbed confirms all.
        self.spare_throttles = bench.target.throttles is not None

    def pause(self, seconds: float) -> None:
        """Wait before sending to a busy target again, never past the run's --max-seconds."""
        deadline = self.client.deadline
        if deadline is not None:
            seconds = min(seconds, max(0.0, deadline.at - time.time()))
        time.sleep(seconds)

    def __repr__(self) -> str:
        return f"Engine({self.bench.target.name!r})"

    def run(
        self,
        trials: Sequence[Trial],
        *,
        max_batches: int | None = None,
        max_batch: int | None = None,
    ) -> Results:
        """Every trial's verdict. ``max_batch`` trials at most per batch (a check whose trials
        are many and almost always harmless, the route surface, sends them all in one);
        ``max_batches`` bounds the whole run, halves and replays included."""
        size = max_batch or self.max_batch
        results = Results()
        budget = max_batches if max_batches is not None else 8 + 4 * len(trials)
        work = _Work(self, results, budget)
        phases: list[tuple[list[Trial], list[Trial]]] = [([], []), ([], [])]  # (safe, risky)
        alone: list[tuple[Trial, Shot]] = []
        for trial in trials:
            kind = self._kind(trial, results)
            if kind is None:
                continue
            label, shot = kind
            if label == "alone":
                alone.append((trial, shot))
            else:
                safe, risky = phases[1 if shot.last else 0]
                (risky if label == "risky" else safe).append(trial)
        for group in _apart(alone):
            work.examine(group, exclusive=False, seen=False)
        for safe, risky in phases:
            if risky and not self.lock.shared_with_others:
                # Nobody else of the run is on this target: one batch under custody's snapshot
                # costs one read, where a safe and a risky batch would cost two.
                safe, risky = [], safe + risky
            for group, exclusive in ((safe, False), (risky, True)):
                for start in range(0, len(group), size):
                    work.examine(group[start : start + size], exclusive=exclusive, seen=False)
        self.unconfirmed += results.unconfirmed
        return results

    def _kind(self, trial: Trial, results: Results) -> tuple[str, Shot] | None:
        """How the trial is batched ("alone", "risky" or "safe") and one shot of it; None when
        the trial does not apply here (its verdict says why)."""
        try:
            shot = trial.shoot(self.bench)
        except NotApplicableError as error:
            results.verdicts[trial.key] = Verdict.inconclusive(str(error))
            return None
        reach = self.client.reach_of(shot.request)
        if reach is not None and not self.bench.target.destructive:
            results.verdicts[trial.key] = Verdict.inconclusive(
                f"destructive = false for this target: {reach.reason}"
            )
            return None
        group = (shot.invariant, shot.branch, shot.operation)
        if self.spare_throttles and not shot.required and group in self.confirmed:
            results.verdicts[trial.key] = Verdict.not_checked(
                f"not sent: a finding of the same invariant, branch and operation "
                f"({shot.branch}, {shot.operation}) is already confirmed, and against a "
                "throttled target the gate spares requests that cannot change the verdict",
                Cause.THROTTLE,
            )
            return None
        if isinstance(trial, Alone):
            return "alone", shot
        return ("risky" if reach is not None else "safe"), shot

    # -- one batch -------------------------------------------------------------------------------

    def batch(self, trials: Sequence[Trial], exclusive: bool, fresh: bool = False) -> _Batch:
        """Send ``trials`` between two reads of the whole state. ``fresh``: the read before is
        made inside the window, never taken from what this process last knew; a replay that
        may become a finding needs it when other processes share the target, or a change one
        of them made since would be blamed on the trial."""
        shots = [trial.shoot(self.bench) for trial in trials]
        order = sorted(range(len(shots)), key=lambda i: shots[i].order)
        trials = [trials[i] for i in order]
        shots = [shots[i] for i in order]
        risky = any(self.client.reach_of(shot.request) is not None for shot in shots)
        reader = self.bench.reader
        if fresh and self.lock.shared_with_others:
            reader.forget()  # read again once the lock is held (by the snapshot, or below)
        if risky:
            with self.protector.around(_EVERYTHING) as snapshot:
                responses = self._send(shots)
            assert snapshot is not None  # never inside another snapshot
            if snapshot.after is None:
                raise NotChecked("the state could not be read after a risky batch", Cause.FAULT)
            before, after, exclusive = snapshot.before, snapshot.after, True
        else:
            hold = self.lock.exclusive() if exclusive else self.lock.shared()
            with hold:
                # What this process knows may be older than another process's writes: on a
                # first sighting those make the batch dirty, never a finding; a replay that may
                # become one reads afresh (``fresh``).
                if fresh and self.lock.shared_with_others:
                    reader.forget()
                before = reader.world()
                responses = self._send(shots)
                after = reader.world()
        sent = [Sent(shot, response) for shot, response in zip(shots, responses, strict=True)]
        others = self.client.ledger.others()
        judgement = judge(sent, before, after, self.bench.target.url_prefix, _ignoring(others))
        return _Batch(list(trials), sent, before, after, judgement, exclusive)

    def _send(self, shots: Sequence[Shot]) -> list[ApiResponse]:
        responses = []
        for shot in shots:
            purpose = Purpose.CONTROL if shot.required else Purpose.ATTEMPT
            with self.client.purpose.of(purpose):
                for request in shot.prelude:
                    self.client.send(request)
                if shot.beside is None:
                    responses.append(self.client.send(shot.request))
                else:
                    responses.append(self._alongside(shot.request, shot.beside))
        return responses

    def _alongside(self, request: ApiRequest, beside: ApiRequest) -> ApiResponse:
        """``request``, sent while ``beside`` is in flight on another connection."""
        started = threading.Event()

        def other() -> None:
            started.set()
            self.client.send(beside)

        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        started.wait(5.0)
        try:
            return self.client.send(request)
        finally:
            thread.join(self.client.policy.read_timeout + self.client.policy.connect_timeout)

    # -- after a batch ---------------------------------------------------------------------------

    def tidy(self, batch: _Batch) -> None:
        """After a clean batch: what its trials were allowed to create is removed, and what of
        the bench they were allowed to delete is made again when next used."""
        judgement = batch.judgement
        owned = self.bench.owned()
        gone = {c.key for c in judgement.changes if c.kind == DELETED and c.key in owned}
        if gone:
            self.bench.renew(gone)
        kept = {index for index, sent in enumerate(batch.sent) if sent.shot.keep}
        with self.client.purpose.of(Purpose.CLEAN_UP):
            for change, owner in zip(judgement.changes, judgement.owners, strict=True):
                if change.kind == CREATED and owner not in kept:
                    self.bench.reader.delete(change.resource, change.pk)

    def restore(self, batch: _Batch) -> None:
        """After a dirty batch: custody puts someone else's objects back and removes what the
        batch created; the bench makes its own touched objects again."""
        if self.bench.target.is_production:
            return  # nothing is ever written to production, not even to put something back
        judgement = batch.judgement
        created = {c.key for c in judgement.changes if c.kind == CREATED}
        with self.client.purpose.of(Purpose.CUSTODY):
            self.protector.put_back(batch.before, created)
        touched = {c.key for c in judgement.changes} & self.bench.owned()
        if touched:
            self.bench.repair(touched)

    def finding(
        self, sent: Sent, invariant: str, oracle: str, summary: str, evidence: str
    ) -> Finding:
        shot = sent.shot
        return finding_from(
            self.client,
            shot.request,
            sent.response,
            invariant=invariant,
            oracle=oracle,
            branch=shot.branch,
            operation=shot.operation,
            summary=summary,
            evidence=evidence,
            labels=shot.labels,
            session_of=shot.session_of,
        )


def _apart(alone: list[tuple[Trial, Shot]]) -> list[list[Trial]]:
    """Trials that need their objects to themselves (positive controls), grouped so that no two
    in a batch address the same object and a delete, which cascades, is alone."""
    groups: list[list[Trial]] = []
    taken: list[set[tuple[str, int]] | None] = []  # per group; None: a delete, shares nothing
    for trial, shot in alone:
        if not shot.allowed.deletes:
            for index, aims in enumerate(taken):
                if aims is not None and not aims & shot.aim:
                    groups[index].append(trial)
                    aims.update(shot.aim)
                    break
            else:
                groups.append([trial])
                taken.append(set(shot.aim))
        else:
            groups.append([trial])
            taken.append(None)
    return groups


def _ignoring(others: frozenset[tuple[str, str]]) -> Callable[[Entry], bool]:
    return lambda entry: (entry.resource, entry.slug) in others


@dataclass
class _Work:
    """One ``run``: the recursion of batches, halves and replays, within its batch budget."""

    engine: Engine
    results: Results
    budget: int
    tries: dict[str, int] = field(default_factory=dict)  # re-sends after a lost answer
    faults: dict[str, str] = field(default_factory=dict)  # a trial's first lost answer
    spared: set[str] = field(default_factory=set)  # trials not replayed alone (_already_found)

    def examine(self, trials: list[Trial], *, exclusive: bool, seen: bool) -> int:
        """Send ``trials`` as one batch and settle each; the number of findings reported.
        ``seen``: a batch holding them was already seen doing what this one must show again."""
        if not trials:
            return 0
        if seen and len(trials) == 1 and self._already_found(trials[0]):
            return 0
        if self.results.batches >= self.budget:
            return self._spent(trials, exclusive=exclusive, seen=seen)
        self.results.batches += 1
        batch = self.engine.batch(trials, exclusive, fresh=seen)
        judgement = batch.judgement
        for trial, sent in zip(batch.trials, batch.sent, strict=True):
            self.results.seen[trial.key] = Observation(sent, batch.before, batch.after, judgement)
        self._controls(batch)
        if judgement.dirty:
            self.engine.restore(batch)
            if len(batch.trials) == 1:
                if seen and batch.exclusive:
                    return self._report(batch)
                return self.examine(batch.trials, exclusive=True, seen=True)  # alone, again
            named = suspects(judgement, batch.sent)
            if named is not None and len(named) < len(batch.trials):
                # Each change names its maker: replay the makers alone, and the others as a
                # fresh batch of their own (a change of theirs may have been hidden by a
                # maker's), never halving a batch whose makers are known.
                makers = [batch.trials[i] for i in named]
                found = sum(self.examine([t], exclusive=True, seen=True) for t in makers)
                if not found:
                    self._unconfirmed(makers, judgement.describe())
                others = [t for i, t in enumerate(batch.trials) if i not in named]
                return found + self.examine(others, exclusive=True, seen=False)
            if named is not None:  # every trial made a change: each is replayed alone
                found = sum(self.examine([t], exclusive=True, seen=True) for t in batch.trials)
            else:
                half = len(batch.trials) // 2
                found = self.examine(batch.trials[:half], exclusive=True, seen=True)
                found += self.examine(batch.trials[half:], exclusive=True, seen=True)
            if not found:
                self._unconfirmed(batch.trials, judgement.describe())
            return found
        self.engine.tidy(batch)
        found = 0
        lost: list[Trial] = []
        for index, (trial, sent) in enumerate(zip(batch.trials, batch.sent, strict=True)):
            if index in judgement.answers:
                if seen and batch.exclusive and len(batch.trials) == 1:
                    found += self._report(batch)
                    continue
                again = self.examine([trial], exclusive=True, seen=True)
                if not again:
                    self._unconfirmed([trial], judgement.answers[index][1])
                found += again
            elif sent.response.fault is not None and not sent.shot.hangs_up:
                lost.append(trial)
            else:
                self.results.verdicts.setdefault(trial.key, Verdict.passed())
        return found + self._lost(lost, batch, exclusive)

    def _lost(self, lost: list[Trial], batch: _Batch, exclusive: bool) -> int:
        """Trials whose answer was lost in a batch that changed nothing: the server may never
        have seen them. Sent again, after a backoff (or the ``Retry-After`` asked for), up to
        ``FaultPolicy.write_attempts`` sends in all; not checked only after that, or when the
        target asked for a wait longer than the gate waits.

        Why that many: at the staging mix (about 6% of transmissions lost to a reset, a 5xx or
        a short 429) two sends leave about 1 write in 280 unchecked, so a run of ~1,000 writes
        almost always ended NOT CLEAN on a clean deployment; six leave 0.06^6, about 5e-8 per
        write, well below one run in a thousand (``bench/faults.py`` counts it per seed)."""
        policy = self.engine.client.policy
        again: list[Trial] = []
        pause = 0.0
        for trial in lost:
            response = batch.sent[batch.trials.index(trial)].response
            waits = response.status == 429 and (
                response.retry_after is None or response.retry_after > policy.max_retry_after
            )
            first = self.faults.setdefault(trial.key, str(response.fault))
            sends = self.tries.get(trial.key, 0) + 1
            if waits or sends >= policy.write_attempts:
                again_note = "" if waits else f" (sent {sends} times, and nothing changed)"
                self.results.verdicts[trial.key] = unanswered(first + again_note, response.status)
            else:
                self.tries[trial.key] = sends
                again.append(trial)
                if response.status != 0 or response.retry_after is not None:
                    pause = max(pause, policy.backoff_before(sends, response.retry_after))
        if again and pause:
            self.engine.pause(pause)  # a busy target (5xx, 429) gets the time it asked for
        return self.examine(again, exclusive=exclusive, seen=False)

    def _controls(self, batch: _Batch) -> None:
        """A positive control the server answered and did not carry out is an error of the
        check, never a pass; one whose answer was lost is a lost trial like any other: sent
        again with backoff, not checked only when every send was lost (``_lost``)."""
        for index, missing in batch.judgement.missing.items():
            sent = batch.sent[index]
            if sent.response.fault is not None:
                continue
            raise PositiveControlError(
                f"{sent.shot.operation}: "
                + no_unauthenticated_write.control_failed(sent.response.status, missing)
            )

    def _already_found(self, trial: Trial) -> bool:
        """Whether replaying ``trial`` alone is spared (``Engine.spare_throttles``)."""
        seen = self.results.seen.get(trial.key)
        if not self.engine.spare_throttles or seen is None:
            return False
        shot = seen.sent.shot
        if (shot.invariant, shot.branch, shot.operation) not in self.engine.confirmed:
            return False
        self.results.verdicts[trial.key] = Verdict.not_checked(
            f"a finding of the same invariant, branch and operation ({shot.branch}, "
            f"{shot.operation}) is already confirmed; this trial changed state too, but was not "
            "replayed alone, to spare the target's throttles",
            Cause.THROTTLE,
        )
        self.spared.add(trial.key)
        return True

    def _report(self, batch: _Batch) -> int:
        sent, trial = batch.sent[0], batch.trials[0]
        shot = sent.shot
        self.engine.confirmed.add((shot.invariant, shot.branch, shot.operation))
        found = problem(sent, batch.judgement, self.engine.bench.target.url_prefix)
        if found is None:  # a batch of one is dirty or has an answer: there is a problem
            raise AssertionError(f"no problem to report for {trial.key}")
        finding = self.engine.finding(
            sent, found.invariant, found.oracle, found.summary, found.evidence
        )
        self.results.verdicts[trial.key] = Verdict.found(finding)
        return 1

    def _unconfirmed(self, trials: list[Trial], seen: str) -> None:
        keys = tuple(t.key for t in trials if t.key not in self.spared)
        if not keys:
            return  # each was spared its replay alone: not checked, not unconfirmed
        self.results.unconfirmed.append(Unconfirmed(keys, self.engine.client.redact(seen)))
        for key in keys:
            self.results.verdicts.setdefault(key, Verdict.passed())

    def _spent(self, trials: list[Trial], *, exclusive: bool, seen: bool) -> int:
        """The batch budget is spent: a group already seen changing state is sent once more as
        a whole, alone; if it does again, it is one finding naming its trials."""
        if not seen:
            for trial in trials:
                self.results.verdicts.setdefault(
                    trial.key,
                    Verdict.not_checked("the run's batch budget was spent before it", Cause.BUDGET),
                )
            return 0
        batch = self.engine.batch(trials, exclusive=True, fresh=True)
        if not batch.judgement.dirty:
            self.engine.tidy(batch)
            self._unconfirmed(trials, "a change seen in a larger batch")
            return 0
        self.engine.restore(batch)
        names = ", ".join(t.key for t in trials[:6]) + (" ..." if len(trials) > 6 else "")
        sent = batch.sent[0]
        finding = self.engine.finding(
            sent,
            sent.shot.invariant,
            "read-back",
            f"one of {len(trials)} trials changed state (not narrowed further: the batch budget "
            "was spent)",
            f"{batch.judgement.describe()}; trials: {names}",
        )
        for trial in trials:
            self.results.verdicts[trial.key] = Verdict.found(finding)
        return 1
