"""One place that exercises an attempt against an operation and judges it.

The suites decide *what* to try (branches, operations, Hypothesis); the
workbench knows *how*: canaries, the valid body, the credential, the send,
the read-back and the oracle. It also remembers which (branch, operation)
cells it exercised, for the coverage matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authfuzz.attempts import Attempt
from authfuzz.branches import Api
from authfuzz.client import ApiRequest, ApiResponse, Client, Purpose, send_write
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import NotApplicableError
from authfuzz.operations import Operation
from authfuzz.oracles import Verdict, identity_probe, no_unauthenticated_write, unanswered
from authfuzz.state import (
    CanarySet,
    Reader,
    create_canaries,
    new_nonce,
    pk_from_uri,
    remove_canaries,
)
from authfuzz.targets import Target
from authfuzz.writes import plan_write, with_attempt

T = TypeVar("T")


class PositiveControlError(AssertionError):
    """The valid staff write failed: the gate would be blind, so the run must not pass."""


@dataclass
class Workbench:
    target: Target
    client: Client
    _canaries: CanarySet | None = field(default=None, init=False)
    _known: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False)
    _draft: dict[str, Any] | None = field(default=None, init=False)
    # What a check keeps between its cases (the bulk-delete scene), removed at close
    _kept: dict[str, tuple[Any, Callable[[Any], None]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        trusted = self.target.principals.trusted()
        if trusted is None or not trusted.token:
            raise ValueError(
                f"target {self.target.name!r} needs a staff principal with a token to read state back"
            )
        self.reader = Reader(self.client, trusted)

    def __repr__(self) -> str:
        return f"Workbench(target {self.target.name!r}, {self.client.sent} requests sent)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    # -- canaries ------------------------------------------------------------------------------

    def canaries(self) -> CanarySet:
        if self._canaries is None:
            self._canaries = create_canaries(self.reader, self.target.url_prefix)
            self._known.clear()
        return self._canaries

    def canary_state(self, resource: str) -> Any:
        """The canary of ``resource`` as last read back; read once, then kept while unchanged."""
        canaries = self.canaries()
        key = (resource, False)
        if key not in self._known:
            self._known[key] = self.reader.detail(resource, canaries.pk(resource))
        return self._known[key]

    def remember_state(self, resource: str, state: Any) -> None:
        """What a check read back after putting the canary back as it was."""
        self._known[(resource, False)] = state

    def reset_canaries(self) -> None:
        if self._canaries is not None:
            remove_canaries(self.reader, self._canaries)
        self._canaries = None
        self._known.clear()

    def close(self) -> None:
        for name in list(self._kept):
            self.drop(name)
        if self._canaries is not None and not self.target.is_production:
            remove_canaries(self.reader, self._canaries)
            self._canaries = None

    # -- what a check keeps between its cases ---------------------------------------------------

    def kept(self, name: str, make: Callable[[], T], remove: Callable[[T], None]) -> T:
        """``make()`` once, then the same value until ``drop``; ``remove`` runs then or at close.
        Objects shared by many cases of one check instead of made and removed per case."""
        if name not in self._kept:
            self._kept[name] = (make(), remove)
        value: T = self._kept[name][0]
        return value

    def drop(self, name: str) -> None:
        value, remove = self._kept.pop(name, (None, None))
        if remove is not None:
            with self.client.purpose.of(Purpose.CLEAN_UP):
                remove(value)

    # -- writes --------------------------------------------------------------------------------

    def check_write(self, operation: Operation, attempt: Attempt) -> Verdict:
        if self.target.is_production:
            raise NotApplicableError("production target: writes are replaced by identity probes")
        canaries = self.canaries()
        nonce = new_nonce()
        plan = plan_write(
            operation, canaries, self.reader, nonce, self.target.url_prefix, self.client.base_url
        )
        is_create = operation.kind == "create"
        key = (operation.resource, operation.kind == "bulk_destroy")
        before = None if is_create else self._known.get(key)
        if not is_create and before is None:
            before = plan.observe()
        request = with_attempt(plan.request, attempt, self._session_cookie)

        def took_effect() -> bool:
            seen = plan.observe()
            return bool(seen) if is_create else seen != before

        purpose = Purpose.CONTROL if attempt.allowed_to_write else Purpose.ATTEMPT
        with self.client.purpose.of(purpose):
            response = send_write(self.client, request, took_effect)
        after = plan.observe()
        changed = bool(after) if is_create else before != after

        if attempt.allowed_to_write:
            if response.fault is not None and not changed:
                unanswered(response.fault, response.status).raise_not_checked()
            problem = no_unauthenticated_write.positive_control_failed(
                response.status, before, after, is_create, response.fault
            )
            self._after_change(operation, changed, key, after)
            if problem:
                raise PositiveControlError(f"{operation.operation_id}: {problem}")
            return Verdict.passed()

        verdict = no_unauthenticated_write.judge(
            status=response.status,
            before=before,
            after=after,
            is_create=is_create,
            fault=response.fault,
            sent_as_read=request.method.upper() in ("GET", "HEAD"),
            make_finding=lambda summary, evidence: self._finding(
                no_unauthenticated_write.INVARIANT,
                "read-back",
                attempt,
                operation.label,
                summary,
                request,
                response,
                evidence,
            ),
        )
        self._after_change(operation, changed, key, after)
        return verdict

    def _after_change(
        self, operation: Operation, changed: bool, key: tuple[Any, ...], after: Any
    ) -> None:
        """Leave the canaries as the next check expects them: what a create made is removed
        at once (the canaries are then as before), what changed a canary replaces them."""
        if operation.kind == "create":
            with self.client.purpose.of(Purpose.CLEAN_UP):
                for obj in after or ():
                    self.reader.delete(operation.resource, pk_from_uri(obj["resource_uri"]))
        elif changed:
            self.reset_canaries()
        else:
            self._known[key] = after

    # -- identity probes -------------------------------------------------------------------

    def draft_release(self) -> dict[str, Any] | None:
        if self._draft is None:
            # Never one of the harness's own canaries: a destroy test may delete it mid-run,
            # and a probe of a missing release answers 404 whoever asks.
            with self.client.purpose.of(Purpose.SETUP):
                found = self.reader.find("release", is_published="false")
            drafts = [d for d in found if not str(d.get("slug", "")).startswith("authfuzz-")]
            self._draft = drafts[0] if drafts else {}
        return self._draft or None

    def check_identity(self, api: Api, attempt: Attempt) -> Verdict:
        if attempt.form:
            raise NotApplicableError("form-body credentials need a POST, which could write")
        if attempt.override_via:
            raise NotApplicableError("a method override could write if the server were vulnerable")
        if attempt.session_of and self.target.is_production:
            raise NotApplicableError("getting a session cookie needs a login POST")
        if self.target.is_production and self._carries_live_secret_in_query(attempt):
            raise NotApplicableError("would put a live credential in a URL, where proxies log it")
        draft = self.draft_release()
        if draft is None:
            raise NotApplicableError("the target has no unpublished release to probe with")
        pk = draft["resource_uri"].rstrip("/").rsplit("/", 1)[-1]
        probe = ApiRequest("GET", f"/api/{api.value}/downloads/release/{pk}/")
        request = with_attempt(probe, attempt, self._session_cookie)
        with self.client.purpose.of(Purpose.PROBE):
            response = self.client.send(request)
        return identity_probe.judge(
            status=response.status,
            body_text=response.text,
            draft_slug=draft["slug"],
            fault=response.fault,
            make_finding=lambda summary, evidence: self._finding(
                no_unauthenticated_write.INVARIANT,
                "identity-probe",
                attempt,
                f"GET /api/{api.value}/downloads/release/{{unpublished}}/",
                summary,
                request,
                response,
                evidence,
            ),
        )

    def _carries_live_secret_in_query(self, attempt: Attempt) -> bool:
        secrets = set(self.target.principals.secrets())
        return any(value in secrets for _, value in attempt.query + attempt.form)

    # -- helpers -------------------------------------------------------------------------------

    def _session_cookie(self, principal_name: str) -> str:
        return self.client.session_cookie(self.target.principals.by_name(principal_name))

    def _finding(
        self,
        invariant: str,
        oracle: str,
        attempt: Attempt,
        operation: str,
        summary: str,
        request: ApiRequest,
        response: ApiResponse,
        evidence: str,
    ) -> Finding:
        return finding_from(
            self.client,
            request,
            response,
            invariant=invariant,
            oracle=oracle,
            branch=attempt.branch_slug,
            operation=operation,
            summary=summary,
            evidence=evidence,
            labels=(attempt.description, *attempt.labels),
            session_of=attempt.session_of,
        )
