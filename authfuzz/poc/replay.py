"""Run a PoC against a target: fill each step and hand it to the check engine as a trial.

Nothing here decides what a breach is: each step is a trial of ``authfuzz.engine``, judged on
the whole state read back like every other (``rejected-and-unchanged``: a negative credential
may change nothing; ``no-foreign-url``: the step may write what its readbacks name, and no URL
outside the policy may be stored anywhere; ``identity-is-guest``: the answer must not show the
unpublished release), and confirmed alone before it is VULNERABLE. This module only fills
placeholders, chooses the form a target may receive (the production guard), and words what the
readbacks show.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from authfuzz.client import ApiRequest
from authfuzz.client.guard import ProductionGuardError
from authfuzz.engine.engine import Engine, Results
from authfuzz.engine.trial import Allowance, Alone, AnswerCheck, Shot, Trial
from authfuzz.exchange_findings import describe_request
from authfuzz.findings import Finding
from authfuzz.not_checked import Cause, NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict, identity_probe, no_foreign_url, no_undocumented_write
from authfuzz.oracles import no_unauthenticated_write as unauthenticated
from authfuzz.poc import placeholders
from authfuzz.poc.format import Poc, Readback, Step
from authfuzz.poc.placeholders import UnfillableError, Values
from authfuzz.state import ReadBackError, new_nonce
from authfuzz.url_policy import URL_FIELDS, violations
from authfuzz.workbench import Workbench
from authfuzz.world import World, pk_from_uri


class Form(StrEnum):
    FULL = "full"  # the [[steps]]
    PROBE = "probe"  # the read-only [[probe]] steps


class Result(StrEnum):
    FIXED = "FIXED"
    VULNERABLE = "VULNERABLE"
    INCONCLUSIVE = "INCONCLUSIVE"
    REFUSED = "REFUSED"  # not run: the target may not receive this form


@dataclass(frozen=True)
class StepResult:
    step: Step
    result: Result
    reason: str = ""  # why INCONCLUSIVE or REFUSED; a note (robustness) otherwise
    request: str = ""  # redacted, one line
    curl: str = ""
    status: int | None = None
    summary: str = ""  # what broke (VULNERABLE)
    evidence: str = ""  # the oracle's evidence, or what the response showed
    readback: str = ""  # every read-back object, before and after, in words
    response: str = ""  # the start of a non-2xx response body, redacted: why it was refused
    finding: Finding | None = None
    cause: Cause | None = None  # INCONCLUSIVE because a fault, throttle, budget or time stopped it


@dataclass(frozen=True)
class PocResult:
    poc: Poc
    form: Form | None
    result: Result
    steps: tuple[StepResult, ...] = ()
    reason: str = ""  # why REFUSED, or a summary of why INCONCLUSIVE

    def findings(self) -> list[Finding]:
        return [s.finding for s in self.steps if s.finding is not None]

    @property
    def cause(self) -> Cause | None:
        """Why the PoC is INCONCLUSIVE, when a fault, throttle, budget or time made it so."""
        if self.result is not Result.INCONCLUSIVE:
            return None
        return next((s.cause for s in self.steps if s.cause is not None), None)


def choose_form(
    poc: Poc, is_production: bool, target_name: str, requested: str = "auto"
) -> tuple[Form, tuple[Step, ...]] | str:
    """The form to run on this target, or why none may run (the production guard's rule)."""
    writes = poc.writes()
    if requested == Form.PROBE:
        if poc.probe:
            return Form.PROBE, poc.probe
        if writes is None:
            return Form.FULL, poc.steps  # read-only already: it is its own probe form
        return "the PoC has no read-only [[probe]] form"
    if not is_production or writes is None:
        return Form.FULL, poc.steps
    step, reason = writes
    refusal = f"{step.label} could change state ({reason}) and target {target_name!r} is production"
    if requested == Form.FULL:
        return refusal + ("; its read-only form may run (--form probe)" if poc.probe else "")
    if poc.probe:
        return Form.PROBE, poc.probe
    return refusal + "; the PoC has no read-only [[probe]] form"


def run_poc(
    poc: Poc,
    engine: Engine,
    requested: str = "auto",
    on_step: Callable[[StepResult], None] | None = None,
) -> PocResult:
    """Run every step of the chosen form, as one check of the engine; TargetUnreachableError
    propagates to the caller."""
    target = engine.bench.target
    chosen = choose_form(poc, target.is_production, target.name, requested)
    if isinstance(chosen, str):
        return PocResult(poc, None, Result.REFUSED, reason=chosen)
    form, steps = chosen
    runs = [_StepRun(poc, step, engine, form) for step in steps]
    early = {id(run): run.prepare() for run in runs}
    trials = [run.trial() for run in runs if early[id(run)] is None]
    results = engine.run([trial for trial in trials if trial is not None])
    done = []
    for run in runs:
        result = early[id(run)] or run.conclude(results)
        done.append(result)
        if on_step is not None:
            on_step(result)
    outcomes = [r.result for r in done]
    for verdict in (Result.VULNERABLE, Result.REFUSED, Result.INCONCLUSIVE):
        if verdict in outcomes:
            reasons = "; ".join(
                f"{r.step.label}: {r.reason}" for r in done if r.result is verdict and r.reason
            )
            return PocResult(poc, form, verdict, tuple(done), reasons)
    return PocResult(poc, form, Result.FIXED, tuple(done))


@dataclass(frozen=True)
class _StepTrial:
    """A step as the engine's trial: filled again on every send, so that it aims at the
    objects as they are then (a canary an earlier send deleted has been made again)."""

    key: str
    run: _StepRun

    def shoot(self, bench: Workbench) -> Shot:
        return self.run.fill()


@dataclass
class _StepRun:
    poc: Poc
    step: Step
    engine: Engine
    form: Form
    used: dict[str, dict[str, Any]] = field(default_factory=dict)
    _trial: Trial | None = field(default=None, init=False)
    _key: str = field(default="", init=False)
    _readbacks: list[tuple[Readback, str]] = field(default_factory=list, init=False)

    @property
    def workbench(self) -> Workbench:
        return self.engine.bench

    def prepare(self) -> StepResult | None:
        """Fill the step; a result already when it cannot be sent (None: it can)."""
        try:
            return self._prepare()
        except UnfillableError as error:
            return StepResult(self.step, Result.INCONCLUSIVE, str(error))
        except (ProductionGuardError, NotApplicableError) as error:
            return StepResult(self.step, Result.REFUSED, str(error))
        except (ReadBackError, NotChecked) as error:
            if isinstance(error, NotChecked):
                return StepResult(self.step, Result.INCONCLUSIVE, error.reason, cause=error.cause)
            return StepResult(self.step, Result.INCONCLUSIVE, str(error))

    def trial(self) -> Trial | None:
        return self._trial

    # -- filling ------------------------------------------------------------------------------

    def _object(self, name: str) -> int:
        workbench = self.workbench
        if name == "draft_release":
            draft = workbench.draft_release()
            if draft is None:
                raise UnfillableError("the target has no unpublished release")
            self.used[name] = draft
            return pk_from_uri(draft["resource_uri"])
        if workbench.target.is_production:
            raise UnfillableError("no canary can be created on a production target")
        try:
            canaries = workbench.canaries()
        except ReadBackError as error:
            raise UnfillableError(f"the canaries could not be created: {error}") from None
        self.used[name] = canaries.object(name)
        return canaries.pk(name)

    def _values(self) -> Values:
        target = self.workbench.target
        return Values(
            principals=target.principals,
            nonce=new_nonce(),
            random_key=placeholders.fresh_random_key(target.principals),
            base_url=self.workbench.client.base_url,
            url_prefix=target.url_prefix,
            objects=self._object,
        )

    def _request(self, values: Values) -> ApiRequest:
        step = self.step

        def text(value: str) -> str:
            return placeholders.fill(value, values)

        def pairs(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
            return tuple((name, text(value)) for name, value in items)

        cookies: tuple[tuple[str, str], ...] = ()
        if step.session is not None:
            principal = placeholders.find_principal(values.principals, step.session)
            try:
                cookies = (("sessionid", self.workbench.client.session_cookie(principal)),)
            except (ValueError, RuntimeError) as error:
                raise UnfillableError(
                    f"no session cookie for {principal.name!r}: {error}"
                ) from None
        return ApiRequest(
            method=step.method,
            path=text(step.path),
            headers=pairs(step.headers),
            query=pairs(step.query),
            json_body=_fill_json(step.json_body, text),
            form=None if step.form_body is None else pairs(step.form_body),
            cookies=cookies,
            body_format=step.body_format,
        )

    # -- running ------------------------------------------------------------------------------

    def fill(self) -> Shot:
        """The step with its placeholders filled for the objects as they are now."""
        values = self._values()
        request = self._request(values)
        self._readbacks = [
            (readback, placeholders.fill(readback.value, values))
            for readback in self.step.readbacks
        ]
        return self._shot(request, self._readbacks, self.workbench.reader.world(), values)

    def _prepare(self) -> StepResult | None:
        step, workbench = self.step, self.workbench
        target = workbench.target
        shot = self.fill()
        request = shot.request
        if target.is_production and self._live_secret_in_query(request):
            return StepResult(
                step,
                Result.REFUSED,
                "would put a live credential in a URL of a production target, where proxies log it",
            )
        known = workbench.reader.world()
        for readback, value in self._readbacks:
            if readback.selector == "slug" and _seen(known, readback, value):
                return StepResult(
                    step,
                    Result.INCONCLUSIVE,
                    f"a {readback.resource} with slug {value!r} exists before the step",
                )
        self._key = f"poc {self.poc.id} {self.form.value} {step.label}"
        trial = _StepTrial(self._key, self)
        # A staff write may change the objects it names: in a batch, that would hide another
        # step's change to them.
        self._trial = Alone(trial) if shot.allowed else trial
        return None

    def conclude(self, results: Results) -> StepResult:
        step, client = self.step, self.workbench.client
        readbacks = self._readbacks  # as the last send filled them
        verdict, seen = results.verdicts[self._key], results.seen.get(self._key)
        if seen is None:  # not sent: the engine said why
            return StepResult(step, Result.REFUSED, verdict.reason)
        request, response = seen.sent.shot.request, seen.sent.response
        notes = "; ".join(
            _describe(r, v, _seen(seen.before, r, v), _seen(seen.after, r, v)) for r, v in readbacks
        )
        if verdict.outcome is Outcome.PASS and step.invariant == "identity-is-guest":
            draft = self.used.get("draft_release") or self.used.get("release") or {}
            pk = pk_from_uri(str(draft.get("resource_uri", "0/")))
            if seen.after.by_pk("release", pk) is None:
                verdict = Verdict.inconclusive(
                    f"the unpublished release {draft.get('slug', '')!r} no longer exists: the "
                    "probe proves nothing"
                )
            notes = (
                f"GET of the unpublished release {draft.get('slug', '')!r} answered "
                f"{response.status}; its data was not in the response"
            )
        if verdict.outcome is Outcome.FINDING and verdict.finding is not None:
            result, reason = Result.VULNERABLE, ""
            summary, evidence = verdict.finding.summary, verdict.finding.evidence
        else:
            result = (
                Result.INCONCLUSIVE if verdict.outcome is Outcome.INCONCLUSIVE else Result.FIXED
            )
            reason, summary = verdict.reason, ""
            evidence = "" if step.readbacks else client.redact(notes)
        return StepResult(
            step,
            result,
            reason,
            request=client.redact(describe_request(request)),
            curl=client.curl(request),
            status=response.status,
            summary=summary,
            evidence=evidence,
            readback=client.redact(notes) if step.readbacks else "",
            finding=verdict.finding if result is Result.VULNERABLE else None,
            response="" if response.ok else client.redact(response.text.strip()[:200]),
            cause=verdict.cause if result is Result.INCONCLUSIVE else None,
        )

    def _shot(
        self,
        request: ApiRequest,
        readbacks: list[tuple[Readback, str]],
        known: World,
        values: Values,
    ) -> Shot:
        step = self.step
        common = {
            "branch": f"poc:{self.poc.id}",
            "operation": f"{step.method} {step.path}",
            "labels": (self.poc.title, f"{self.form.value} form, {step.label}"),
            "session_of": self._session_principal(values),
        }
        if step.invariant == "identity-is-guest":
            draft = self.used.get("draft_release") or self.used.get("release") or {}
            rule = identity_probe.revealed(str(draft.get("slug", "")))
            return Shot(
                request,
                unauthenticated.INVARIANT,
                answer=AnswerCheck("identity-probe", rule),
                **common,  # type: ignore[arg-type]
            )
        if step.invariant == "rejected-and-unchanged":
            sent_as_read = request.method.upper() in ("GET", "HEAD")
            return Shot(
                request,
                unauthenticated.INVARIANT,
                answer=AnswerCheck("read-back", unauthenticated.accepted(sent_as_read)),
                **common,  # type: ignore[arg-type]
            )
        return Shot(
            request,
            no_undocumented_write.INVARIANT,
            allowed=_allowed(readbacks, known),
            answer=AnswerCheck(
                "read-back",
                no_foreign_url.accepted_rejected(self._policy_accepts(request, readbacks, known)),
            ),
            **common,  # type: ignore[arg-type]
        )

    def _policy_accepts(
        self, request: ApiRequest, readbacks: list[tuple[Readback, str]], known: World
    ) -> bool:
        """The policy's verdict on what the step would store: the object's URL fields as they
        are, with the ones the step sends."""
        before: dict[str, Any] = {}
        for readback, value in readbacks:
            if readback.selector == "id" and value.isdigit():
                entry = known.by_pk(readback.resource, int(value))
                before = dict(entry.fields) if entry else {}
        sent = request.json_body if isinstance(request.json_body, dict) else {}
        fields = {name: before.get(name, "") for name in URL_FIELDS}
        fields.update({name: sent[name] for name in URL_FIELDS if name in sent})
        return not violations(fields, self.workbench.target.url_prefix)

    def _session_principal(self, values: Values) -> str | None:
        if self.step.session is None:
            return None
        return placeholders.find_principal(values.principals, self.step.session).name

    def _live_secret_in_query(self, request: ApiRequest) -> bool:
        live = set(self.workbench.target.principals.secrets())
        return any(value in live for _, value in request.query)


def _allowed(readbacks: list[tuple[Readback, str]], known: World) -> Allowance:
    """What a staff step may write: the objects its readbacks name."""
    creates: set[tuple[str, str]] = set()
    changes: set[tuple[str, int]] = set()
    for readback, value in readbacks:
        if readback.selector == "slug":
            creates.add((readback.resource, value))
        elif value.isdigit() and readback.selector == "id":
            changes.add((readback.resource, int(value)))
        elif value.isdigit():  # the files of a release
            changes |= {
                ("release_file", e.pk)
                for e in known.table("release_file").values()
                if e.refs.get("release") == int(value)
            }
    return Allowance(creates=frozenset(creates), changes=frozenset(changes))


def _seen(world: World, readback: Readback, value: str) -> Any:
    """What a readback shows in ``world``: the objects with the slug, the object, or the slugs
    of a release's files (None when the release itself is gone)."""
    if readback.selector == "slug":
        return [e.fields for e in world.table(readback.resource).values() if e.slug == value]
    if not value.isdigit():
        raise UnfillableError(f"readback {readback.selector} {value!r} is not a number")
    pk = int(value)
    if readback.selector == "id":
        entry = world.by_pk(readback.resource, pk)
        return dict(entry.fields) if entry else None
    if world.by_pk("release", pk) is None:
        return None
    return sorted(
        e.slug for e in world.table("release_file").values() if e.refs.get("release") == pk
    )


def _fill_json(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {key: _fill_json(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_json(item, text) for item in value]
    return value


def _describe(readback: Readback, value: str, before: Any, after: Any) -> str:
    """The read-back evidence in words (the oracles word it themselves when they find)."""
    what = f"{readback.resource} {value}"
    if readback.selector == "slug":
        if not after:
            return f"no {readback.resource} with slug {value!r} exists"
        return f"{len(after)} {readback.resource}(s) with slug {value!r} exist"
    if readback.selector == "release":
        if after is None:
            return f"release {value} no longer exists"
        change = "unchanged" if before == after else "changed"
        return (
            f"files of release {value}: {len(before or [])} before, {len(after)} after ({change})"
        )
    if before is None and after is None:
        return f"{what} did not exist before the step"
    if after is None:
        return f"{what} no longer exists"
    if before == after:
        return f"{what} unchanged"
    changed = sorted(
        k for k in set(before or {}) | set(after) if (before or {}).get(k) != after.get(k)
    )
    shown = ", ".join(f"{k}={json.dumps(after.get(k))}" for k in changed)
    return f"{what} changed: {shown}"
