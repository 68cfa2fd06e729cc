"""A Schemathesis case as a trial: dressed in a negative credential, or written as staff.

Schemathesis draws a case per operation of the spec, with a body from the spec's schemas;
``pinning`` makes it valid and aims it at the bench's objects on every send, and the attempt
(``strategies.auth``) adds the credential. Negative: the case may change nothing, anywhere.
Staff (the URL writes and the stateful chains): the case may write the object it addresses or
creates, no URL the policy rejects may be stored anywhere, and a 2xx to a URL the policy
rejects is a finding unless a legal value took its place.

``harness_state_machine`` runs Schemathesis's stateful chains (create, then read, change and
delete along the spec's links) with each step sent as one such trial, as trusted staff.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from schemathesis import Case, Response
from schemathesis.generation.stateful.state_machine import APIStateMachine

from authfuzz.attempts import Attempt
from authfuzz.checks import url_writes
from authfuzz.engine.engine import Engine
from authfuzz.engine.trial import Allowance, Alone, AnswerCheck, Shot
from authfuzz.findings import FindingError
from authfuzz.openapi.adapter import as_response, case_request, conform, spec_operation
from authfuzz.openapi.pinning import pin
from authfuzz.operations import Operation
from authfuzz.oracles import (
    Outcome,
    no_foreign_url,
    no_unauthenticated_write,
    no_undocumented_write,
)
from authfuzz.state import new_nonce
from authfuzz.url_policy import URL_FIELDS, violations
from authfuzz.workbench import Workbench
from authfuzz.writes import with_attempt

ORDER = {"create": 1, "update": 2, "partial_update": 3, "destroy": 4, "bulk_destroy": 5}


@dataclass(frozen=True)
class UrlExpectation:
    """The URL fields a release-file write carries, and the policy's verdict on the result."""

    field: str  # the field under test, named in a finding
    category: str  # the URL case's category, or "generated" for a Schemathesis value
    fields: Mapping[str, object]
    accepted: bool


def generated_urls(
    bench: Workbench, operation: Operation, body: Any, aim: frozenset[tuple[str, int]]
) -> UrlExpectation | None:
    """What the URL policy says of a generated release-file body: the object's URL fields as
    they are, with the ones the body sends."""
    if operation.resource != "release_file" or not isinstance(body, dict):
        return None
    if not any(name in body for name in URL_FIELDS):
        return None
    current: dict[str, Any] = {}
    known = bench.reader.known_world()
    for resource, pk in aim:
        entry = known.by_pk(resource, pk) if known is not None else None
        if entry is not None:
            current = dict(entry.fields)
    result = {name: current.get(name, "") for name in URL_FIELDS}
    result.update({name: body[name] for name in URL_FIELDS if name in body})
    found = violations(result, bench.target.url_prefix)
    culprit = found[0].field if found else next(name for name in URL_FIELDS if name in body)
    return UrlExpectation(culprit, "generated", result, accepted=not found)


@dataclass(frozen=True)
class CaseTrial:
    key: str
    case: Case[Any]  # pinned again on every send, from the case as Schemathesis drew it
    attempt: Attempt
    url: UrlExpectation | None = None  # a URL case the staff write carries
    retarget: bool = True  # aim ``{id}`` at the canary (the stateful run aims it itself)
    keep: bool = False  # what a staff create makes stays (the stateful chain needs it)
    slot: int | None = None  # a staff URL write's URL pool slot (``checks.url_writes``)
    drawn: tuple[Any, Any, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        drawn = (copy.deepcopy(self.case.body), self.case.path_parameters, self.case.query)
        object.__setattr__(self, "drawn", drawn)

    def shoot(self, bench: Workbench) -> Shot:
        case, attempt = self.case, self.attempt
        case.body, case.path_parameters, case.query = copy.deepcopy(self.drawn)
        operation = spec_operation(case)
        staff = attempt.allowed_to_write
        pinned = pin(
            bench,
            operation,
            case,
            new_nonce(),
            urls=self.url.fields if self.url is not None else None,
            legal_urls=not staff or (self.url is None and operation.kind == "create"),
            retarget=self.retarget,
            current=url_writes.slot(bench, self.slot)
            if self.slot is not None and operation.needs_object
            else None,
        )
        request = with_attempt(case_request(case), attempt, bench.session_cookie)
        labels = (attempt.description, *attempt.labels, "schemathesis")
        if not staff:
            sent_as_read = request.method.upper() in ("GET", "HEAD")
            return Shot(
                request,
                no_unauthenticated_write.INVARIANT,
                attempt.branch_slug,
                operation.label,
                labels=labels,
                session_of=attempt.session_of,
                answer=AnswerCheck("read-back", no_unauthenticated_write.accepted(sent_as_read)),
                order=ORDER.get(operation.kind, 0),
                aim=pinned.aim,
            )
        if pinned.creates is not None:
            allowed = Allowance(creates=frozenset({(pinned.resource, pinned.creates)}))
        elif operation.kind in ("destroy", "bulk_destroy"):
            allowed = Allowance(deletes=pinned.aim)
        else:
            allowed = Allowance(changes=pinned.aim)
        expected = self.url or generated_urls(bench, operation, case.body, pinned.aim)
        api = operation.api.value
        if expected is not None:
            labels += (f"field:{expected.field}", f"category:{expected.category}")
        return Shot(
            request,
            no_undocumented_write.INVARIANT,
            f"{api}-{operation.method.lower()}:{expected.field}" if expected else "valid-staff",
            operation.label,
            labels=labels,
            allowed=allowed,
            answer=AnswerCheck("read-back", no_foreign_url.accepted_rejected(expected.accepted))
            if expected is not None
            else None,
            order=ORDER.get(operation.kind, 0),
            aim=pinned.aim,
            detail=f"field {expected.field}, category {expected.category}" if expected else "",
            keep=self.keep,
        )


def conformance(engine: Engine, trial: CaseTrial, seen_sent: Any) -> None:
    """Schemathesis's own conformance checks on a case's answer, unless the answer was lost or
    is the answer to another method (an override sent as a GET, POST or HEAD)."""
    shot, response = seen_sent.shot, seen_sent.response
    if response.fault is not None or shot.request.method.upper() != trial.case.method.upper():
        return
    conform(trial.case, shot.request, response, engine.client, repr(trial.attempt))


def harness_state_machine(
    schema: schemathesis.BaseSchema, engine: Engine, staff: Attempt
) -> type[APIStateMachine]:
    """``schema.as_state_machine()`` sending each step as a trial of the engine, as staff.

    A step may only address an object this machine created (a link's value); when
    Schemathesis explores with a drawn ``{id}`` instead, the step is pointed at the newest
    object of that resource the machine made, never at someone else's. Creates get a unique
    slug and, for a release file, the canary OS and release and a legal URL (or the chain would
    end at its first step); changes keep their generated URL fields. Everything the machine
    created is deleted at the end of each scenario.
    """
    base: Any = schema.as_state_machine()
    bench = engine.bench

    class HarnessStateMachine(base):  # type: ignore[misc]
        def setup(self) -> None:
            super().setup()
            self._answers: dict[str, Any] = {}
            self._created: list[tuple[str, int]] = []

        def call(self, case: Case[Any], **kwargs: Any) -> Response:
            operation = spec_operation(case)
            if operation.needs_object:
                self._aim(operation, case)
            trial = CaseTrial(f"stateful {case.id}", case, staff, retarget=False, keep=True)
            results = engine.run([Alone(trial)])
            verdict = results.verdicts[trial.key]
            seen = results.seen.get(trial.key)
            if verdict.outcome is Outcome.FINDING and verdict.finding is not None:
                raise FindingError(verdict.finding)
            verdict.raise_not_checked()
            if seen is None:
                hypothesis.reject()
                raise AssertionError("unreachable")
            self._answers[case.id] = seen.sent
            for change in seen.judgement.changes:
                if change.kind == "created":
                    self._created.append(change.key)
            return as_response(engine.client, seen.sent.shot.request, seen.sent.response)

        def _aim(self, operation: Operation, case: Case[Any]) -> None:
            mine = [pk for resource, pk in self._created if resource == operation.resource]
            if not mine:
                hypothesis.reject()
            raw = (case.path_parameters or {}).get("id")
            if not (isinstance(raw, int | str) and str(raw).isdigit() and int(raw) in mine):
                case.path_parameters = {**(case.path_parameters or {}), "id": mine[-1]}

        def validate_response(
            self,
            response: Response,
            case: Case[Any],
            additional_checks: list[Any] | None = None,
            **kwargs: Any,
        ) -> None:
            sent = self._answers.pop(case.id)
            if sent.response.fault is not None:
                return  # the engine judged it on the read alone
            super().validate_response(response, case, additional_checks, **kwargs)

        def teardown(self) -> None:
            for resource, pk in reversed(self._created):
                bench.reader.delete(resource, pk)
            super().teardown()

    return HarnessStateMachine
