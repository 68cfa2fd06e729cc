"""Schemathesis on top of the harness: its cases, our client, our oracles, our findings.

Schemathesis contributes what it is good at: a case per operation of the spec, with bodies
drawn from the spec's schemas, response-conformance checks and stateful chains along the
spec's links. Everything else is the harness's own, so that there is one stack:

- a case never goes out through Schemathesis's transport. ``send`` turns it into an
  ``ApiRequest``, dresses it in an ``Attempt`` (``writes.with_attempt``) and sends it with
  ``Client.send``: production guard, budget, rate limit and redaction included;
- Schemathesis then sees a ``Response`` built from the *redacted* request and response, so
  whatever it prints (its failure report, its curl line) cannot hold a secret, on top of its
  own sanitising of ``Authorization`` as ``[Filtered]``;
- the two invariants are registered as Schemathesis checks (``no_unauthenticated_write``,
  ``no_foreign_url``). They read state back with the trusted principal and judge with the
  oracles of ``authfuzz.oracles``; a violation raises ``FindingError``, which ``validate``
  lifts out of Schemathesis's failure group, so findings reach the same reports, in the same
  redacted format, as every other suite's.

Generated bodies are arbitrary, so ``pin`` points every write at objects the worker owns
before it is sent: ``{id}`` at the worker's canary (``Workbench.canaries``), a bulk delete at
the canary release, a release file's ``os``/``release`` at the canary OS and release, and a
create's ``slug`` gets the nonce (unique, and what the read-back looks for). The read-back
snapshots exactly that object before and after the request.
"""

from __future__ import annotations

import contextvars
import copy
import http.client
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import hypothesis
import requests
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, CheckContext, Response
from schemathesis.core import NotSet
from schemathesis.generation.stateful.state_machine import APIStateMachine
from schemathesis.openapi.checks import UndefinedStatusCode

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.client import ApiRequest, ApiResponse, Purpose, send_write
from authfuzz.exchange_findings import describe_request, finding_from
from authfuzz.findings import Finding, FindingError
from authfuzz.not_checked import Cause, NotChecked
from authfuzz.operations import Operation
from authfuzz.oracles import Outcome, Verdict
from authfuzz.oracles import no_foreign_url as foreign_url_oracle
from authfuzz.oracles import no_unauthenticated_write as write_oracle
from authfuzz.state import V2, new_nonce, pk_from_uri
from authfuzz.url_policy import SIDECAR_SUFFIXES, URL_FIELDS, violations
from authfuzz.workbench import Workbench
from authfuzz.writes import V1, with_attempt

SLUG_MAX = 200
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Schemathesis's own checks, and why each is on or off (see the suite's docstring for the runs
# that decided it). Off means off everywhere: a check that fires on the real API's legitimate
# behaviour would train people to ignore the gate.
BUILTIN_CHECKS_ON: tuple[str, ...] = (
    "status_code_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
BUILTIN_CHECKS_OFF: dict[str, str] = {
    "content_type_conformance": "the web server answers a malformed header (several negative "
    "branches send one on purpose) with its own text/plain 400 before the API sees it, as the "
    "real deployment's front end does with HTML",
    "not_a_server_error": "v1 answers 500 where the real API does too: database errors (a "
    "version beyond the integer column, a url over 200 characters, a second download_button file "
    "of an (os, release) pair) and non-ASCII whitespace inside the Authorization header; "
    "status_code_conformance's 'undocumented 500' is filtered for the same reason",
    "positive_data_acceptance": "tolerates 401/403 but not 400, and a schema-valid case with a "
    "negative attempt legitimately gets 400: from the web server for a malformed Authorization "
    "header (sent on purpose), from v1 which validates before it authorizes",
    "negative_data_rejection": "inert here: every case is generated in positive mode",
    "missing_required_header": "inert here: coverage-phase header probes are not generated in "
    "positive mode, and the credential is ours, not a spec parameter",
    "unsupported_method": "the spec's undocumented methods are covered by "
    "tests/testbed/test_spec_matches_testbed.py; the probes are negative-mode cases",
    "allow_header_conformance": "only judges OPTIONS responses, which are never sent",
    "ignored_auth": "re-sends cases outside the harness's client (no guard, budget or "
    "redaction) with one literal bad value; strategies.auth.negative_attempts supersedes it",
    "object_level_authorization": "needs several Schemathesis auth identities and sends its own "
    "requests outside the harness's client",
    "max_response_time": "timing is not a security property; the client has its own timeout",
}
STATEFUL_CHECKS_ON: tuple[str, ...] = ("use_after_free", "ensure_resource_availability")
ORACLE_CHECKS: tuple[str, ...] = ("no_unauthenticated_write", "no_foreign_url")


def configure(
    schema: schemathesis.BaseSchema,
    *,
    base_url: str,
    max_examples: int,
    phases: Iterable[str],
    stateful: bool = False,
) -> None:
    """Positive data, our checks only, pinned phases, no example database, no spec credential."""
    schema.config.update(base_url=base_url)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE],
        max_examples=max_examples,
        database="none",
        # The credential is the attempt's, never a value generated for the security scheme.
        with_security_parameters=False,
        # NUL in a name is a database-robustness topic (PostgreSQL refuses it), not ours.
        allow_x00=False,
    )
    schema.config.phases.update(phases=list(phases))
    # Only the links written in the spec: inferred links could chain a list's ids (someone
    # else's objects on a shared target) into a DELETE.
    schema.config.phases.stateful.inference.algorithms = []
    names = [*BUILTIN_CHECKS_ON, *ORACLE_CHECKS, *(STATEFUL_CHECKS_ON if stateful else ())]
    schema.config.checks.update(included_check_names=names)
    if not schema.config.output.sanitization.enabled:
        raise ValueError("Schemathesis output sanitization must stay on: it masks Authorization")

    def filter_failure(
        context: schemathesis.HookContext, failure: Any, case: Case[Any], response: Response
    ) -> bool:
        # A 5xx is not_a_server_error's business, which is off (see BUILTIN_CHECKS_OFF): the
        # status check must not bring it back as "undocumented status code".
        return not (isinstance(failure, UndefinedStatusCode) and response.status_code >= 500)

    schema.hook(filter_failure)


def spec_subset(raw: Mapping[str, Any], keep: Callable[[str, str, dict[str, Any]], bool]) -> Any:
    """A copy of the spec with only the operations ``keep(path, method, operation)`` accepts.

    Links whose target is left out are dropped, so the subset still loads.
    """
    document = copy.deepcopy(dict(raw))
    paths: dict[str, Any] = {}
    kept_ids: set[str] = set()
    for path, item in document.get("paths", {}).items():
        methods = {
            method: body
            for method, body in item.items()
            if isinstance(body, dict) and "responses" in body and keep(path, method, body)
        }
        if methods:
            shared = {
                k: v for k, v in item.items() if not (isinstance(v, dict) and "responses" in v)
            }
            paths[path] = {**shared, **methods}
            kept_ids |= {str(body.get("operationId")) for body in methods.values()}
    for item in paths.values():
        for body in item.values():
            for response in (
                (body.get("responses") or {}).values() if isinstance(body, dict) else ()
            ):
                links = response.get("links") if isinstance(response, dict) else None
                if links:
                    response["links"] = {
                        name: link
                        for name, link in links.items()
                        if link.get("operationId") in kept_ids
                    }
                    if not response["links"]:
                        del response["links"]
    document["paths"] = paths
    return document


def operation_id(case: Case[Any]) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def spec_operation(case: Case[Any]) -> Operation:
    """The case's operation as the harness knows it, from the spec's x-authfuzz extensions."""
    raw = case.operation.definition.raw
    try:
        return Operation(
            operation_id=operation_id(case),
            api=Api(raw["x-authfuzz-api"]),
            resource=str(raw["x-authfuzz-resource"]),
            kind=str(raw["x-authfuzz-kind"]),
            method=case.operation.method.upper(),
            path=case.operation.path,
        )
    except (KeyError, ValueError) as error:
        raise ValueError(f"{case.operation.label} lacks x-authfuzz metadata: {error}") from None


# -- from a case to a request, and back to a Schemathesis response --------------------------------


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def case_request(case: Case[Any]) -> ApiRequest:
    """The case as a credential-less ``ApiRequest`` (the attempt adds the credential)."""
    query: list[tuple[str, str]] = []
    for name, value in (case.query or {}).items():
        values = value if isinstance(value, list) else [value]
        query += [(str(name), _wire(v)) for v in values]
    headers = tuple(
        (str(name), _wire(value))
        for name, value in (case.headers or {}).items()
        if str(name).lower() not in ("authorization", "cookie")
    )
    body = None if isinstance(case.body, NotSet) else case.body
    return ApiRequest(
        case.method, case.formatted_path, headers=headers, query=tuple(query), json_body=body
    )


def shown_request(workbench: Workbench, request: ApiRequest) -> requests.PreparedRequest:
    """What Schemathesis may see of a sent request: every value already redacted."""
    redact = workbench.client.redact
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    prepared.url = workbench.client.base_url + redact(request.url_path())
    headers: dict[str, str] = {}
    for name, value in request.headers:
        shown = redact(value)
        headers[name] = f"{headers[name]}, {shown}" if name in headers else shown
    if request.cookies:
        headers["Cookie"] = "; ".join(f"{k}=<session of a staff user>" for k, _ in request.cookies)
    body: str | None = None
    if request.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = redact(urlencode(list(request.form)))
    elif request.json_body is not None:
        headers["Content-Type"] = "application/json"
        body = redact(json.dumps(request.json_body))
    prepared.headers = CaseInsensitiveDict(headers)
    prepared.body = body
    return prepared


def as_response(workbench: Workbench, request: ApiRequest, response: ApiResponse) -> Response:
    redact = workbench.client.redact
    return Response(
        status_code=response.status,
        headers={name: [redact(value)] for name, value in response.headers.items()},
        content=redact(response.text).encode("utf-8"),
        request=shown_request(workbench, request),
        elapsed=response.elapsed,
        verify=True,
        message=http.client.responses.get(response.status, ""),
        encoding="utf-8",
    )


# -- pointing a case at the worker's own objects ---------------------------------------------------


@dataclass
class ReadBack:
    """The objects a write could change, read by the trusted principal before and after it."""

    what: str
    observe: Callable[[], Any]
    is_create: bool
    resource: str
    before: Any = None


def unique_slug(generated: Any, nonce: str) -> str:
    """The generated slug (if usable) made unique with the nonce, within the column's length."""
    stem = generated if isinstance(generated, str) else ""
    suffix = f"authfuzz-{nonce}"
    return f"{stem[: SLUG_MAX - len(suffix) - 1]}-{suffix}" if stem else suffix


def canary_refs(workbench: Workbench, api: Api) -> dict[str, str]:
    canaries = workbench.canaries()
    if api is Api.V1:
        return {
            "os": f"{V1}/os/{canaries.pk('os')}/",
            "release": f"{V1}/release/{canaries.pk('release')}/",
        }
    base = workbench.client.base_url
    return {
        "os": f"{base}{V2}/os/{canaries.pk('os')}/",
        "release": f"{base}{V2}/release/{canaries.pk('release')}/",
    }


def legal_url(workbench: Workbench, nonce: str) -> str:
    return f"{workbench.target.url_prefix}ftp/authfuzz/{nonce}/openapi.tgz"


def fit_body(
    workbench: Workbench,
    operation: Operation,
    body: Any,
    nonce: str,
    *,
    urls: Mapping[str, object] | None = None,
    legal_urls: bool = True,
) -> dict[str, Any]:
    """The generated body with what cannot be valid by chance made valid.

    ``slug`` gets the nonce (unique); a release file's ``os``/``release`` become the canary's.
    URL fields: ``urls`` (a URL case's fields, the rest sent empty) when given; otherwise, with
    ``legal_urls``, a legal unique ``url`` and matching sidecars (the URL policy is not what an
    auth test is about); otherwise they stay as generated.
    """
    fitted: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    kind, resource = operation.kind, operation.resource
    if kind in ("create", "update") or "slug" in fitted:
        fitted["slug"] = unique_slug(fitted.get("slug"), nonce)
    if resource == "release" and fitted.get("is_latest"):
        # A new latest release demotes the deployment's real one (python.org's promote-latest
        # rule); the gate is not about that flag, so it never asks for it (custody would put
        # the real one back, at the cost of a snapshot per case).
        fitted["is_latest"] = False
    if resource != "release_file":
        return fitted
    refs = canary_refs(workbench, operation.api)
    for name, ref in refs.items():
        if kind in ("create", "update") or name in fitted:
            fitted[name] = ref
    if urls is not None:
        for name in URL_FIELDS:
            fitted.pop(name, None)
        fitted.update({name: "" for name in SIDECAR_SUFFIXES})
        fitted.update(urls)
        if kind == "update" and "url" not in urls:
            fitted["url"] = workbench.canaries().object("release_file")["url"]
    elif legal_urls:
        if kind in ("create", "update") or "url" in fitted:
            fitted["url"] = legal_url(workbench, nonce)
        url = fitted.get("url") or workbench.canaries().object("release_file")["url"]
        for name, suffix in SIDECAR_SUFFIXES.items():
            if fitted.get(name):
                fitted[name] = url + suffix
    return fitted


def pin(
    workbench: Workbench,
    operation: Operation,
    case: Case[Any],
    nonce: str,
    *,
    urls: Mapping[str, object] | None = None,
    legal_urls: bool = True,
    retarget: bool = True,
) -> ReadBack:
    """Point ``case`` at the worker's canaries (in place) and say how to read back its effect.

    With ``retarget=False`` an ``{id}`` stays as it is (the stateful run aims it itself).
    """
    reader, resource = workbench.reader, operation.resource
    if operation.method not in WRITE_METHODS:
        return ReadBack("nothing (a read)", lambda: None, is_create=False, resource=resource)
    if operation.kind == "bulk_destroy":
        release = workbench.canaries().pk("release")
        case.query = {"release": release}
        readback = ReadBack(
            f"the files of canary release {release}",
            lambda: sorted(f["slug"] for f in reader.find("release_file", release=release)),
            is_create=False,
            resource=resource,
        )
    elif operation.needs_object:
        if retarget:
            pk = workbench.canaries().pk(resource)
            case.path_parameters = {**(case.path_parameters or {}), "id": pk}
        else:
            pk = int(case.path_parameters["id"])
        readback = ReadBack(
            f"{'canary ' if retarget else ''}{resource} {pk}",
            lambda: reader.detail(resource, pk),
            is_create=False,
            resource=resource,
        )
    else:
        readback = ReadBack("", lambda: [], is_create=True, resource=resource)
    body: dict[str, Any] = {}
    if operation.method in ("POST", "PUT", "PATCH"):
        body = fit_body(workbench, operation, case.body, nonce, urls=urls, legal_urls=legal_urls)
        case.body = body
    if readback.is_create:
        slug = str(body["slug"])
        readback = ReadBack(
            f"{resource} objects with slug {slug!r}",
            lambda: reader.find(resource, slug=slug),
            is_create=True,
            resource=resource,
        )
    readback.before = None if readback.is_create else readback.observe()
    return readback


# -- one exchange: the case as sent, the response, and the read-back -------------------------------


@dataclass(frozen=True)
class UrlExpectation:
    """The URL fields a release-file write carries, and the policy's verdict on the result."""

    field: str  # the field under test, named in a finding
    category: str  # the URL case's category, or "generated" for a Schemathesis value
    fields: Mapping[str, object]
    accepted: bool


_UNREAD = object()


@dataclass
class Exchange:
    workbench: Workbench
    operation: Operation
    case: Case[Any]
    attempt: Attempt
    request: ApiRequest  # as sent, credential included: never shown unredacted
    response: ApiResponse
    readback: ReadBack
    url_write: UrlExpectation | None = None  # the URL case this write carries, if any
    _after: Any = field(default=_UNREAD, repr=False)

    def after(self) -> Any:
        """The read-back after the request (read once, shared by every check)."""
        if self._after is _UNREAD:
            self._after = self.readback.observe()
        return self._after

    @property
    def changed(self) -> bool:
        after = self.after()
        return bool(after) if self.readback.is_create else after != self.readback.before

    def finding(self, invariant: str, branch: str, summary: str, evidence: str) -> Finding:
        labels = (self.attempt.description, *self.attempt.labels, "schemathesis")
        if self.url_write is not None:
            labels += (f"field:{self.url_write.field}", f"category:{self.url_write.category}")
        return finding_from(
            self.workbench.client,
            self.request,
            self.response,
            invariant=invariant,
            oracle="read-back",
            branch=branch,
            operation=self.operation.label,
            summary=summary,
            evidence=evidence,
            labels=labels,
            session_of=self.attempt.session_of,
        )


def send(
    workbench: Workbench,
    operation: Operation,
    case: Case[Any],
    attempt: Attempt,
    readback: ReadBack,
    url_write: UrlExpectation | None = None,
) -> Exchange:
    """Send the (pinned) case with the attempt's credential through the harness's client."""
    principals = workbench.target.principals
    request = with_attempt(
        case_request(case),
        attempt,
        lambda name: workbench.client.session_cookie(principals.by_name(name)),
    )

    def took_effect() -> bool:
        seen = readback.observe()
        return bool(seen) if readback.is_create else seen != readback.before

    with workbench.client.purpose.of(Purpose.ATTEMPT):
        response = send_write(workbench.client, request, took_effect)
    return Exchange(workbench, operation, case, attempt, request, response, readback, url_write)


def settle(exchange: Exchange) -> None:
    """Undo what a write did to the worker's objects, so the next case starts from known state."""
    workbench = exchange.workbench
    if exchange.readback.is_create:
        for obj in exchange.after() or ():
            workbench.reader.delete(exchange.readback.resource, pk_from_uri(obj["resource_uri"]))
    elif exchange.changed:
        workbench.reset_canaries()


# -- the checks ----------------------------------------------------------------------------------

_CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "authfuzz_exchange", default=None
)


def _exchange_for(case: Case[Any]) -> Exchange | None:
    exchange = _CURRENT.get()
    return exchange if exchange is not None and exchange.case is case else None


def _raise_on_finding(verdict: Verdict) -> bool | None:
    if verdict.outcome is Outcome.FINDING and verdict.finding is not None:
        raise FindingError(verdict.finding)
    verdict.raise_not_checked()
    return None


@schemathesis.check
def no_unauthenticated_write(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """NoUnauthenticatedWrite: a write without valid staff credentials changes nothing.

    Judged on the trusted read-back of the object the case was pinned to; a 2xx is a finding
    even if nothing changed (unless the write travelled as a read, an override the server may
    ignore), a 400 is never evidence either way.
    """
    exchange = _exchange_for(case)
    if exchange is None or exchange.attempt.allowed_to_write:
        return True  # not an authfuzz exchange, or the staff credential: not this property
    readback = exchange.readback
    verdict = write_oracle.judge(
        status=exchange.response.status,
        before=readback.before,
        after=exchange.after(),
        is_create=readback.is_create,
        fault=exchange.response.fault,
        sent_as_read=exchange.request.method.upper() in ("GET", "HEAD"),
        make_finding=lambda summary, evidence: exchange.finding(
            write_oracle.INVARIANT,
            exchange.attempt.branch_slug,
            summary,
            f"{evidence} (read back: {readback.what})",
        ),
    )
    return _raise_on_finding(verdict)


def url_expectation(exchange: Exchange) -> UrlExpectation | None:
    """The URL fields a release-file write carries and the policy's verdict on the result."""
    if exchange.url_write is not None:
        return exchange.url_write
    body = exchange.case.body
    if not isinstance(body, dict) or not any(name in body for name in URL_FIELDS):
        return None
    before = exchange.readback.before if isinstance(exchange.readback.before, dict) else {}
    result = {name: before.get(name, "") for name in URL_FIELDS}
    result.update({name: body[name] for name in URL_FIELDS if name in body})
    found = violations(result, exchange.workbench.target.url_prefix)
    sent = [name for name in URL_FIELDS if name in body]
    culprit = found[0].field if found else sent[0]
    return UrlExpectation(culprit, "generated", result, accepted=not found)


@schemathesis.check
def no_foreign_url(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """NoForeignUrl: a release-file write never stores a URL field the policy rejects.

    Judged on the trusted read-back of the written object, whatever the status said.
    """
    exchange = _exchange_for(case)
    if (
        exchange is None
        or exchange.operation.resource != "release_file"
        or exchange.operation.method not in ("POST", "PUT", "PATCH")
    ):
        return True
    expected = url_expectation(exchange)
    if expected is None:
        return True
    after = exchange.after()
    stored = after[0] if isinstance(after, list) and after else after
    before = exchange.readback.before
    branch = f"{exchange.operation.api.value}-{exchange.operation.method.lower()}:{expected.field}"
    verdict = foreign_url_oracle.judge(
        status=exchange.response.status,
        policy_accepts=expected.accepted,
        before=before if isinstance(before, dict) else None,
        after=stored if isinstance(stored, dict) else None,
        url_prefix=exchange.workbench.target.url_prefix,
        fault=exchange.response.fault,
        make_finding=lambda summary, evidence: exchange.finding(
            foreign_url_oracle.INVARIANT,
            branch,
            f"{summary}; field {expected.field}, category {expected.category}",
            evidence,
        ),
    )
    return _raise_on_finding(verdict)


def validate(exchange: Exchange, response: Response | None = None) -> None:
    """Run the configured checks on the exchange; a finding surfaces as ``FindingError``.

    Schemathesis wraps what a check raises in its own failure group; the findings are taken
    out of it so that the plugin files them (other failures of the same case become a note).
    """
    shown = (
        response
        if response is not None
        else as_response(exchange.workbench, exchange.request, exchange.response)
    )
    token = _CURRENT.set(exchange)
    try:
        if exchange.response.fault is not None:
            judge_unanswered(exchange, shown)
        elif exchange.request.method.upper() != exchange.operation.method.upper():
            judge_sent_as_other_method(exchange, shown)
        else:
            exchange.case.validate_response(shown)
    except BaseExceptionGroup as group:
        raise lift_findings(group, exchange) from None
    finally:
        _CURRENT.reset(token)


def judge_sent_as_other_method(exchange: Exchange, shown: Response) -> None:
    """A case sent as a GET, POST or HEAD asking for its method elsewhere (an override).

    The answer is the answer to the method on the request line (a list, an empty HEAD body)
    unless the server honoured the override; the operation's documented responses say nothing
    about it, so the conformance checks are not run and only the oracles' read-back speaks.
    """
    no_unauthenticated_write(None, shown, exchange.case)  # type: ignore[arg-type]
    no_foreign_url(None, shown, exchange.case)  # type: ignore[arg-type]


def judge_unanswered(exchange: Exchange, shown: Response) -> None:
    """A case whose answer was lost or transient: only the read-back may speak.

    Schemathesis's conformance checks would read a proxy's 503 (or no answer) as the API's
    own, so they are not run; the oracles judge what the read-back shows, and when it shows
    nothing the case is not checked.
    """
    no_unauthenticated_write(None, shown, exchange.case)  # type: ignore[arg-type]
    no_foreign_url(None, shown, exchange.case)  # type: ignore[arg-type]
    if not exchange.changed:
        cause = Cause.THROTTLE if exchange.response.status == 429 else Cause.FAULT
        raise NotChecked(
            f"the case got no verdict from the server: {exchange.response.fault}", cause
        )


def lift_findings(group: BaseExceptionGroup[Any], exchange: Exchange) -> BaseException:
    """``FindingError`` for the findings in a Schemathesis failure group, or the group itself.

    Either way it says what was sent (redacted): Schemathesis's own report knows the case, not
    the attempt that dressed it.
    """
    findings: list[Finding] = []
    others: list[str] = []
    for failure in group.exceptions:
        inner = getattr(failure, "exception", None)
        if isinstance(inner, FindingError):
            findings += inner.findings
        else:
            others.append(str(getattr(failure, "title", type(failure).__name__)))
    if not findings:
        redact = exchange.workbench.client.redact
        group.add_note(f"authfuzz attempt: {redact(repr(exchange.attempt))}")
        group.add_note(f"authfuzz request: {redact(describe_request(exchange.request))}")
        group.add_note(f"reproduce: {exchange.workbench.client.curl(exchange.request)}")
        return group
    error = FindingError(*findings)
    if others:
        error.add_note("Schemathesis checks that also failed on this case: " + "; ".join(others))
    return error


# -- the stateful run --------------------------------------------------------------------------


def harness_state_machine(
    schema: schemathesis.BaseSchema, workbench: Workbench, staff: Attempt
) -> type[APIStateMachine]:
    """``schema.as_state_machine()`` sending through the harness, as trusted staff.

    A step may only address an object this machine created (a link's value); when
    Schemathesis explores with a drawn ``{id}`` instead, the step is pointed at the newest
    object of that resource the machine made, never at someone else's. Creates get a unique
    slug and, for a release file, the canary OS and release and a legal URL (or the chain would
    end at its first step); changes keep their generated URL fields, judged by NoForeignUrl.
    Everything the machine created is deleted at the end of each scenario.
    """
    base: Any = schema.as_state_machine()

    class HarnessStateMachine(base):  # type: ignore[misc]
        def setup(self) -> None:
            super().setup()
            self._exchanges: dict[str, Exchange] = {}
            self._created: list[tuple[str, int]] = []

        def call(self, case: Case[Any], **kwargs: Any) -> Response:
            operation = spec_operation(case)
            if operation.needs_object:
                self._aim(operation, case)
            readback = pin(
                workbench,
                operation,
                case,
                new_nonce(),
                retarget=False,
                legal_urls=operation.kind == "create",
            )
            exchange = send(workbench, operation, case, staff, readback)
            self._exchanges[case.id] = exchange
            return as_response(workbench, exchange.request, exchange.response)

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
            exchange = self._exchanges.pop(case.id)
            token = _CURRENT.set(exchange)
            try:
                if exchange.response.fault is not None:
                    judge_unanswered(exchange, response)
                else:
                    super().validate_response(response, case, additional_checks, **kwargs)
            except BaseExceptionGroup as group:
                raise lift_findings(group, exchange) from None
            finally:
                _CURRENT.reset(token)
                if exchange.readback.is_create:
                    resource = exchange.readback.resource
                    for obj in exchange.after() or ():
                        self._created.append((resource, pk_from_uri(obj["resource_uri"])))

        def teardown(self) -> None:
            for resource, pk in reversed(self._created):
                workbench.reader.delete(resource, pk)
            super().teardown()

    return HarnessStateMachine
