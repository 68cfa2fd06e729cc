"""The verdict on a batch: which changes its shots explain, and what is left over.

Pure, like the oracles it calls: the shots as sent with their answers, the world before and the
world after, in; a ``Judgement`` out. A batch is *dirty* when a change is explained by no shot's
allowance (a negative credential explains nothing) or when a release file's URL fields break
the policy where they did not before, whoever wrote them. A dirty batch proves nothing about
any one of its shots: the engine bisects it. A clean one proves every shot in it harmless,
except for what only an answer shows (``AnswerCheck``), which is judged per shot.

``problem`` words the finding of one shot sent alone, in the invariant's own terms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from authfuzz.client import ApiResponse
from authfuzz.engine.changes import CHANGED, CREATED, DELETED, Change, changes, new_violations
from authfuzz.engine.trial import Allowance, Shot
from authfuzz.oracles import (
    bulk_delete_scope,
    no_foreign_url,
    no_unauthenticated_write,
    no_undocumented_write,
)
from authfuzz.url_policy import Violation
from authfuzz.vocabulary import RELATIONS
from authfuzz.world import Entry, World

SUMMARIES = {
    oracle.INVARIANT: oracle.summary
    for oracle in (
        no_unauthenticated_write,
        no_undocumented_write,
        bulk_delete_scope,
        no_foreign_url,
    )
}


@dataclass(frozen=True)
class Sent:
    shot: Shot
    response: ApiResponse


@dataclass(frozen=True)
class Problem:
    """Why one shot, sent alone, is a finding."""

    invariant: str
    oracle: str
    summary: str
    evidence: str


@dataclass(frozen=True)
class Judgement:
    changes: tuple[Change, ...] = ()
    owners: tuple[int | None, ...] = ()  # per change: the shot whose allowance explains it
    violations: tuple[tuple[int, tuple[Violation, ...]], ...] = ()  # (change, what it broke)
    answers: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # shot: (oracle, ...)
    missing: dict[int, str] = field(default_factory=dict)  # control shot: what it did not do

    @property
    def unexplained(self) -> list[Change]:
        return [c for c, owner in zip(self.changes, self.owners, strict=True) if owner is None]

    @property
    def dirty(self) -> bool:
        return bool(self.unexplained or self.violations)

    def describe(self) -> str:
        """What made the batch dirty, in words."""
        parts = [c.describe() for c in self.unexplained]
        parts += [
            f"{self.changes[i].entry.describe()}: {v.describe('the prefix')}"
            for i, found in self.violations
            for v in found
        ]
        return "; ".join(parts)


def judge(
    sent: Sequence[Sent],
    before: World,
    after: World,
    url_prefix: str,
    ignore: Callable[[Entry], bool] | None = None,
) -> Judgement:
    found = changes(before, after, ignore)
    owners = tuple(_owner(change, sent) for change in found)
    broken = tuple(
        (i, tuple(v)) for i, change in enumerate(found) if (v := new_violations(change, url_prefix))
    )
    owned: dict[int, bool] = {}
    for owner in owners:
        if owner is not None:
            owned[owner] = True
    answers: dict[int, tuple[str, str, str]] = {}
    missing: dict[int, str] = {}
    for index, item in enumerate(sent):
        shot, response = item.shot, item.response
        if shot.answer is not None and response.fault is None:
            verdict = shot.answer.judge(response, owned.get(index, False))
            if verdict is not None:
                answers[index] = (shot.answer.oracle, *verdict)
        if shot.required:
            gap = _not_done(
                shot.allowed, [c for c, o in zip(found, owners, strict=True) if o == index]
            )
            if gap:
                missing[index] = gap
    return Judgement(tuple(found), owners, broken, answers, missing)


def _owner(change: Change, sent: Sequence[Sent]) -> int | None:
    for index, item in enumerate(sent):
        if _explains(item.shot.allowed, change):
            return index
    return None


def _explains(allowed: Allowance, change: Change) -> bool:
    if change.kind == CREATED:
        assert change.after is not None
        return (change.resource, change.after.slug) in allowed.creates
    if change.kind == CHANGED:
        return change.key in allowed.changes
    assert change.before is not None
    if change.key in allowed.deletes:
        return True
    # What the database cascades: a file goes with its deleted OS or release.
    return change.resource == "release_file" and any(
        (relation, change.before.refs.get(relation)) in allowed.deletes for relation in RELATIONS
    )


def _not_done(allowed: Allowance, done: list[Change]) -> str:
    """The effects a positive control should have had and did not (empty: all seen)."""
    created = {(c.resource, c.after.slug) for c in done if c.kind == CREATED and c.after}
    changed = {c.key for c in done if c.kind == CHANGED}
    deleted = {c.key for c in done if c.kind == DELETED}
    gaps = [f"{r} {s!r} not created" for r, s in sorted(allowed.creates - created)]
    gaps += [f"{r} {pk} not changed" for r, pk in sorted(allowed.changes - changed)]
    gaps += [f"{r} {pk} not deleted" for r, pk in sorted(allowed.deletes - deleted)]
    return "; ".join(gaps)


def problem(item: Sent, judgement: Judgement, url_prefix: str) -> Problem | None:
    """The finding of a shot sent alone, or None if the read and the answer show nothing."""
    found = _problem(item, judgement, url_prefix)
    if found is None or not item.shot.detail:
        return found
    return Problem(
        found.invariant, found.oracle, f"{found.summary}; {item.shot.detail}", found.evidence
    )


def _problem(item: Sent, judgement: Judgement, url_prefix: str) -> Problem | None:
    shot, response = item.shot, item.response
    how = (
        f"status {response.status}"
        if response.fault is None
        else (f"its answer was lost: {response.fault}")
    )
    broken = [
        f"{judgement.changes[i].entry.describe()}: {v.describe(url_prefix)}"
        for i, found in judgement.violations
        for v in found
    ]
    unexplained = judgement.unexplained
    # A URL the policy rejects is the sharper finding of a staff write; a negative credential
    # that got anything written at all is the sharper one of its own.
    if broken and not (unexplained and shot.invariant == no_unauthenticated_write.INVARIANT):
        evidence = "read-back: " + "; ".join(broken)
        if unexplained:
            evidence += "; " + "; ".join(_evidence(c, shot) for c in unexplained)
        return Problem(
            no_foreign_url.INVARIANT,
            "read-back",
            SUMMARIES[no_foreign_url.INVARIANT](how, []),
            evidence,
        )
    if unexplained:
        evidence = "; ".join(_evidence(c, shot) for c in unexplained)
        if broken:
            evidence += "; and it stored: " + "; ".join(broken)
        return Problem(
            shot.invariant, "read-back", SUMMARIES[shot.invariant](how, unexplained), evidence
        )
    if 0 in judgement.answers:
        oracle, summary, evidence = judgement.answers[0]
        return Problem(shot.invariant, oracle, summary, evidence)
    return None


def _evidence(change: Change, shot: Shot) -> str:
    if change.kind == CREATED:
        return change.describe()
    where = "the object it addresses" if change.key in shot.aim else "an object it does not address"
    return f"{change.describe()} ({where})"


def suspects(judgement: Judgement, sent: Sequence[Sent]) -> list[int] | None:
    """The shots that each made one of the batch's dirty changes, when every such change names
    exactly one shot: a created object by the slug only that shot's request carries, a changed
    or deleted one by being the one object only that shot aimed at (or, among several aiming
    at it, the only one whose request carries the new value). None when any change names no
    shot or several: then only bisection can tell.

    Why: on a build where most attempts write (the guest fall-through), halving a batch whose
    every trial is guilty re-sends it log2(n) times; a change that names its maker needs only
    the maker replayed alone, which is what a finding needs anyway."""
    dirty = {id(c): c for c in judgement.unexplained}
    dirty.update({id(judgement.changes[i]): judgement.changes[i] for i, _ in judgement.violations})
    if not dirty:
        return None
    texts = [_wire_text(item) for item in sent]
    chosen: set[int] = set()
    for change in dirty.values():
        named = _naming(change, sent, texts)
        if len(named) != 1:
            return None
        chosen |= named
    return sorted(chosen)


def _naming(change: Change, sent: Sequence[Sent], texts: Sequence[str]) -> set[int]:
    entry = change.entry
    if change.kind == CREATED:
        return {i for i, text in enumerate(texts) if entry.slug and f'"{entry.slug}"' in text}
    key = (entry.resource, entry.pk)
    aiming = {i for i, item in enumerate(sent) if key in item.shot.aim}
    if len(aiming) <= 1 or change.kind != CHANGED or change.before is None:
        return aiming
    new = [
        str(value)
        for name, value in entry.fields.items()
        if change.before.fields.get(name) != value and len(str(value)) >= 6
    ]
    return {i for i in aiming if any(value in texts[i] for value in new)}


def _wire_text(item: Sent) -> str:
    """What the request carried, as text to look for a slug or a value in."""
    request = item.shot.request
    parts = [request.path, json.dumps(request.json_body, default=str)]
    parts += [f'"{v}"' for _, v in (*request.query, *(request.form or ()))]
    return " ".join(parts)
