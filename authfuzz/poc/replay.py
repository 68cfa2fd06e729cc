"""Run a PoC against a target: fill each step, send it, read back, judge with the gate's oracles.

Nothing here decides what a breach is: ``rejected-and-unchanged`` is
``oracles.no_unauthenticated_write``, ``no-foreign-url`` is ``oracles.no_foreign_url`` and
``identity-is-guest`` is ``oracles.identity_probe``. This module only fills placeholders,
chooses the form a target may receive (the production guard), sends through the one
``Client``, reads back through the workbench's ``Reader`` and keeps the canaries clean.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from authfuzz.client import ApiRequest, ApiResponse, Purpose, send_write
from authfuzz.client.guard import ProductionGuardError
from authfuzz.exchange_findings import describe_request, finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import Cause, NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict, identity_probe, no_foreign_url
from authfuzz.oracles import no_unauthenticated_write as unauthenticated
from authfuzz.poc import placeholders
from authfuzz.poc.format import Poc, Readback, Step
from authfuzz.poc.placeholders import UnfillableError, Values
from authfuzz.state import ReadBackError, new_nonce, pk_from_uri
from authfuzz.url_policy import URL_FIELDS, violations
from authfuzz.workbench import Workbench


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
    workbench: Workbench,
    requested: str = "auto",
    on_step: Callable[[StepResult], None] | None = None,
) -> PocResult:
    """Run every step of the chosen form; TargetUnreachableError propagates to the caller."""
    target = workbench.target
    chosen = choose_form(poc, target.is_production, target.name, requested)
    if isinstance(chosen, str):
        return PocResult(poc, None, Result.REFUSED, reason=chosen)
    form, steps = chosen
    results = []
    for step in steps:
        result = _StepRun(poc, step, workbench, form).run()
        results.append(result)
        if on_step is not None:
            on_step(result)
    outcomes = [r.result for r in results]
    for verdict in (Result.VULNERABLE, Result.REFUSED, Result.INCONCLUSIVE):
        if verdict in outcomes:
            reasons = "; ".join(
                f"{r.step.label}: {r.reason}" for r in results if r.result is verdict and r.reason
            )
            return PocResult(poc, form, verdict, tuple(results), reasons)
    return PocResult(poc, form, Result.FIXED, tuple(results))


@dataclass
class _StepRun:
    poc: Poc
    step: Step
    workbench: Workbench
    form: Form
    used: dict[str, dict[str, Any]] = field(default_factory=dict)
    uses_canaries: bool = False

    def run(self) -> StepResult:
        try:
            return self._run()
        except UnfillableError as error:
            return StepResult(self.step, Result.INCONCLUSIVE, str(error))
        except (ProductionGuardError, NotApplicableError) as error:
            return StepResult(self.step, Result.REFUSED, str(error))
        except (ReadBackError, NotChecked) as error:
            if self.uses_canaries and self.step.could_change_state() is not None:
                with contextlib.suppress(Exception, NotChecked):  # the write may have touched them
                    self.workbench.reset_canaries()
            if isinstance(error, NotChecked):
                return StepResult(self.step, Result.INCONCLUSIVE, error.reason, cause=error.cause)
            return StepResult(self.step, Result.INCONCLUSIVE, str(error))

    # -- filling ------------------------------------------------------------------------------

    def _object(self, name: str) -> int:
        workbench = self.workbench
        if name == "draft_release":
            draft = workbench.draft_release()
            if draft is not None and str(draft.get("slug", "")).startswith("authfuzz-"):
                # A harness canary may be removed mid-run; prefer a release that stays.
                lasting = [
                    d
                    for d in workbench.reader.find("release", is_published="false")
                    if not str(d.get("slug", "")).startswith("authfuzz-")
                ]
                draft = lasting[0] if lasting else draft
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
        self.uses_canaries = True
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

    def _run(self) -> StepResult:
        step, workbench = self.step, self.workbench
        client, target = workbench.client, workbench.target
        values = self._values()
        request = self._request(values)
        readbacks = [
            (readback, placeholders.fill(readback.value, values)) for readback in step.readbacks
        ]
        if target.is_production and self._live_secret_in_query(request):
            return StepResult(
                step,
                Result.REFUSED,
                "would put a live credential in a URL of a production target, where proxies log it",
            )
        before = [self._observe(readback, value) for readback, value in readbacks]
        for (readback, value), seen in zip(readbacks, before, strict=True):
            if readback.selector == "slug" and seen:
                return StepResult(
                    step,
                    Result.INCONCLUSIVE,
                    f"a {readback.resource} with slug {value!r} exists before the step",
                )

        def took_effect() -> bool:
            return [self._observe(r, v) for r, v in readbacks] != before

        with client.purpose.of(Purpose.ATTEMPT):
            response = send_write(client, request, took_effect)
        after = [self._observe(readback, value) for readback, value in readbacks]
        shown = client.redact(describe_request(request))

        def make_finding(invariant: str, oracle: str) -> Callable[[str, str], Finding]:
            def make(summary: str, evidence: str) -> Finding:
                return finding_from(
                    client,
                    request,
                    response,
                    invariant=invariant,
                    oracle=oracle,
                    branch=f"poc:{self.poc.id}",
                    operation=f"{step.method} {step.path}",
                    summary=summary,
                    evidence=evidence,
                    labels=(self.poc.title, f"{self.form.value} form, {step.label}"),
                    session_of=self._session_principal(values),
                )

            return make

        verdict, notes = self._judge(request, response, readbacks, before, after, make_finding)
        self._clean_up(request, response, readbacks, before, after, verdict)

        seen = client.redact(notes) if step.readbacks else ""
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
            request=shown,
            curl=client.curl(request),
            status=response.status,
            summary=summary,
            evidence=evidence,
            readback=seen,
            finding=verdict.finding if result is Result.VULNERABLE else None,
            response="" if response.ok else client.redact(response.text.strip()[:200]),
            cause=verdict.cause if result is Result.INCONCLUSIVE else None,
        )

    def _session_principal(self, values: Values) -> str | None:
        if self.step.session is None:
            return None
        return placeholders.find_principal(values.principals, self.step.session).name

    def _live_secret_in_query(self, request: ApiRequest) -> bool:
        live = set(self.workbench.target.principals.secrets())
        return any(value in live for _, value in request.query)

    def _observe(self, readback: Readback, value: str) -> Any:
        reader = self.workbench.reader
        if readback.selector == "slug":
            return reader.find(readback.resource, slug=value)
        try:
            pk = int(value)
        except ValueError:
            raise UnfillableError(
                f"readback {readback.selector} {value!r} is not a number"
            ) from None
        if readback.selector == "id":
            return reader.detail(readback.resource, pk)
        try:
            files = reader.find("release_file", release=pk)
        except ReadBackError:
            if reader.detail("release", pk) is None:
                return None  # the release itself is gone: that is a change too
            raise
        return sorted(str(f.get("slug", "")) for f in files)

    # -- judging ------------------------------------------------------------------------------

    def _judge(
        self,
        request: ApiRequest,
        response: ApiResponse,
        readbacks: list[tuple[Readback, str]],
        before: list[Any],
        after: list[Any],
        make_finding: Callable[[str, str], Callable[[str, str], Finding]],
    ) -> tuple[Verdict, str]:
        step = self.step
        if step.invariant == "identity-is-guest":
            draft = self.used.get("draft_release") or self.used.get("release") or {}
            slug = str(draft.get("slug", ""))
            verdict = identity_probe.judge(
                status=response.status,
                body_text=response.text,
                draft_slug=slug,
                make_finding=make_finding(unauthenticated.INVARIANT, "identity-probe"),
                fault=response.fault,
            )
            pk = pk_from_uri(str(draft.get("resource_uri", "0/")))
            if (
                verdict.outcome is Outcome.PASS
                and self.workbench.reader.detail("release", pk) is None
            ):
                return Verdict.inconclusive(
                    f"the unpublished release {slug!r} no longer exists: the probe proves nothing"
                ), ""
            return verdict, (
                f"GET of the unpublished release {slug!r} answered {response.status}; "
                "its data was not in the response"
            )

        verdicts: list[Verdict] = []
        notes: list[str] = []
        for (readback, value), seen_before, seen_after in zip(
            readbacks, before, after, strict=True
        ):
            if step.invariant == "rejected-and-unchanged":
                verdicts.append(
                    unauthenticated.judge(
                        status=response.status,
                        before=seen_before,
                        after=seen_after,
                        is_create=readback.selector == "slug",
                        make_finding=make_finding(unauthenticated.INVARIANT, "read-back"),
                        fault=response.fault,
                        # an override on a GET that the server ignores is answered as a read
                        sent_as_read=request.method.upper() in ("GET", "HEAD"),
                    )
                )
            else:
                verdicts.append(
                    self._judge_url(
                        request, response, readback, seen_before, seen_after, make_finding
                    )
                )
            notes.append(_describe(readback, value, seen_before, seen_after))
        for outcome in (Outcome.FINDING, Outcome.INCONCLUSIVE):
            for verdict in verdicts:
                if verdict.outcome is outcome:
                    return verdict, "; ".join(notes)
        reasons = "; ".join(v.reason for v in verdicts if v.reason)
        return Verdict(Outcome.PASS, reason=reasons), "; ".join(notes)

    def _judge_url(
        self,
        request: ApiRequest,
        response: ApiResponse,
        readback: Readback,
        seen_before: Any,
        seen_after: Any,
        make_finding: Callable[[str, str], Callable[[str, str], Finding]],
    ) -> Verdict:
        if readback.selector == "slug":
            before_obj = None
            after_obj = seen_after[0] if seen_after else None
        else:
            before_obj = seen_before if isinstance(seen_before, dict) else None
            after_obj = seen_after if isinstance(seen_after, dict) else None
        sent = request.json_body if isinstance(request.json_body, dict) else {}
        fields = {name: (before_obj or {}).get(name, "") for name in URL_FIELDS}
        fields.update({name: sent[name] for name in URL_FIELDS if name in sent})
        return no_foreign_url.judge(
            status=response.status,
            policy_accepts=not violations(fields, self.workbench.target.url_prefix),
            before=before_obj,
            after=after_obj,
            url_prefix=self.workbench.target.url_prefix,
            make_finding=make_finding(no_foreign_url.INVARIANT, "read-back"),
            fault=response.fault,
        )

    # -- hygiene ------------------------------------------------------------------------------

    def _clean_up(
        self,
        request: ApiRequest,
        response: ApiResponse,
        readbacks: list[tuple[Readback, str]],
        before: list[Any],
        after: list[Any],
        verdict: Verdict,
    ) -> None:
        """Remove what a step created, and replace canaries a step may have touched."""
        workbench = self.workbench
        if workbench.target.is_production or self.step.could_change_state() is None:
            return
        for (readback, _), found in zip(readbacks, after, strict=True):
            if readback.selector == "slug" and found:
                for obj in found:
                    with contextlib.suppress(Exception, NotChecked):
                        workbench.reader.delete(readback.resource, pk_from_uri(obj["resource_uri"]))
        changed = any(
            b != a
            for (r, _), b, a in zip(readbacks, before, after, strict=True)
            if r.selector != "slug"
        )
        if self.uses_canaries and (changed or response.ok or verdict.outcome is not Outcome.PASS):
            workbench.reset_canaries()


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
