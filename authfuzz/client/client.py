"""The one HTTP client of the harness: everything that talks to a target goes through ``send``.

``send`` applies, in order: the production guard (nothing that could change state reaches a
production target), the request budget and rate limit (every transmission, retries included),
the fault rules of ``faults`` (a repeatable request is retried by urllib3's ``Retry``; one that
could change state is sent once) and the circuit breaker. It never raises for a transient
fault: the response says ``fault`` and the caller's read-back decides. It raises
``TargetUnreachableError`` only when the breaker trips, and ``NotChecked`` when the budget is
spent. Everything it renders (curl lines, errors) is redacted.

Before a request goes out it is also entered in the run's ledger (what it could create),
and a request that could reach data that is not the run's own (``guard.could_touch_others``)
is sent inside custody's snapshot-and-put-back (the ``Guardian`` of ``guarded_by``), or
refused on a target with ``destructive = false``. Custody's own requests (``custody=True``)
skip both, and the budget. Ledger and guardian are custody's: the ledger is a leaf that
imports no client, and the guardian is known only by the protocol of ``surroundings``, so no
import of custody leads back to the client.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urllib3.util.retry import RequestHistory

from authfuzz.client.budget import Deadline, RateLimiter, RequestBudget
from authfuzz.client.faults import (
    NO_ANSWER_STATUSES,
    TRANSIENT_STATUSES,
    CircuitBreaker,
    FaultPolicy,
    TargetUnreachableError,
    retry_for,
)
from authfuzz.client.guard import (
    DestructiveRequestRefused,
    Reach,
    check_request,
    could_change_state,
    could_touch_others,
)
from authfuzz.client.messages import ApiRequest, ApiResponse
from authfuzz.client.purpose import Purpose, PurposeStack
from authfuzz.client.rendering import render_curl
from authfuzz.client.resend import send_write
from authfuzz.client.surroundings import Guardian
from authfuzz.client.transport import NO_ANSWER_ERRORS, Transport, describe_error
from authfuzz.custody.ledger import Ledger
from authfuzz.principals import Principal
from authfuzz.redaction import Redactor
from authfuzz.targets import Target
from authfuzz.throttles.buckets import bucket_of, charged, counted
from authfuzz.throttles.reserve import Ceilings
from authfuzz.throttles.tally import Tally

DAY = 86400


class Client:
    def __init__(
        self,
        target: Target,
        *,
        share: int = 1,
        policy: FaultPolicy | None = None,
        ceilings: Ceilings | None = None,
        deadline: Deadline | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        """``share``: how many processes share the target's budget and rate; ``deadline``:
        --max-seconds; ``ledger``: the run's (a process's journal under pytest-xdist), else
        one of the client's own."""
        if target.base_url is None:
            raise ValueError(f"target {target.name!r} has no base URL yet")
        self.target = target
        self.base_url = target.base_url
        self.policy = policy or FaultPolicy()
        self.redactor = Redactor.for_principals(target.principals)
        limit = target.max_requests // share if target.max_requests else None
        self.budget = RequestBudget(limit)
        self.rate = RateLimiter(target.max_rps / share if target.max_rps else None)
        self.breaker = CircuitBreaker(self.policy.breaker_failures, self.policy.breaker_silence)
        self.transport = Transport(self.base_url, self.policy)
        self.sent = 0
        self._counting = threading.Lock()
        self.custody_sent = 0  # of ``sent``: custody's own requests, outside the budget
        self.tally = Tally()  # what each throttle bucket has spent
        # How far checks may spend each bucket: the rest is clean-up's (throttles.reserve).
        self.ceilings = ceilings or Ceilings({})
        self.started = time.monotonic()
        self.deadline = deadline
        self.ledger = ledger if ledger is not None else Ledger()
        self._guardian: Guardian | None = None  # custody, while it has the target (guarded_by)
        self._sessions: dict[str, str] = {}
        self.purpose = PurposeStack()  # why the next request is sent (requests.json)

    def __repr__(self) -> str:
        return f"Client({self.target.name!r} at {self.base_url}, {self.sent} requests sent)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def close(self) -> None:
        self.transport.close()

    # -- sending ---------------------------------------------------------------------------

    def send(self, request: ApiRequest, *, custody: bool = False) -> ApiResponse:
        check_request(
            self.target.name,
            self.target.is_production,
            request.method,
            request.header_names(),
            request.has_body,
            tuple(name for name, _ in request.query),
        )
        if custody:
            return self._exchange(request, custody=True)
        self.ledger.note(request)
        reach = self.reach_of(request)
        if reach is None:
            return self._exchange(request)
        if not self.target.destructive:
            raise DestructiveRequestRefused(f"destructive = false for this target: {reach.reason}")
        if self._guardian is None:
            return self._exchange(request)
        with self._guardian.around(reach):
            return self._exchange(request)

    @contextmanager
    def guarded_by(self, guardian: Guardian) -> Iterator[None]:
        """Risky requests go through ``guardian`` for as long as custody holds the target.

        A guardian reads through this client (custody's requests, ``custody=True``), so it
        exists only after the client; the context bounds the wiring: no request is ever sent
        under a custody that has ended."""
        self._guardian = guardian
        try:
            yield
        finally:
            self._guardian = None

    def reach_of(self, request: ApiRequest) -> Reach | None:
        """Why ``request`` could reach data that is not the run's own, or None."""
        return could_touch_others(
            request.method,
            request.path,
            request.headers,
            request.json_body,
            lambda resource, pk: self.ledger.owns(resource, pk),
            request.query,
            request.form or (),
        )

    def _exchange(self, request: ApiRequest, *, custody: bool = False) -> ApiResponse:
        bucket = bucket_of(request, self.target.principals)
        closed = self.tally.closed_until(bucket, time.monotonic()) if bucket else None
        if bucket is not None and closed is not None:
            wait = closed - time.monotonic()
            return ApiResponse(
                429,
                {"retry-after": str(math.ceil(wait))},  # a write is not re-sent into it
                "",
                0.0,
                fault=f"throttled: the {bucket.label} bucket is closed for {wait:.0f} s more "
                "(not sent)",
                tries=0,
            )
        held = None
        if bucket is not None and not custody:
            held = self.ceilings.refuses(bucket.label, self.tally.spent_in(bucket))
        if held is not None:
            # The share does not come back during the run: nothing is to be waited for.
            never = {"retry-after": str(DAY)}
            return ApiResponse(429, never, "", 0.0, fault=f"{held} (not sent)", tries=0)
        response = self._transmit(request, custody)
        if bucket is not None:
            bucket = charged(request, self.target.principals, response.status, bucket)
            purpose = Purpose.CUSTODY if custody else self.purpose.current
            self.tally.record(
                bucket,
                response.tries,
                counted(
                    bucket,
                    response.status,
                    request.path,
                    response.headers.get("content-type", ""),
                ),
                purpose.value,
            )
            asked = response.retry_after
            if response.status == 429 and (asked is None or asked > self.policy.max_retry_after):
                pause = asked if asked is not None else self.policy.max_retry_after
                self.tally.close(bucket, time.monotonic() + pause)
        return response

    def _transmit(self, request: ApiRequest, custody: bool) -> ApiResponse:
        repeatable = (
            could_change_state(request.method, request.header_names(), request.has_body) is None
        )
        self._unreachable_check()
        tries = [1]

        def resend(failed: RequestHistory | None) -> None:
            if failed is not None:
                if failed.error is not None:
                    self._no_answer(describe_error(failed.error))
                elif failed.status in NO_ANSWER_STATUSES:
                    self._no_answer(f"status {failed.status}")
                else:
                    self.breaker.answered(time.monotonic())
            self._transmission(custody)
            tries[0] += 1

        self._transmission(custody)
        started = time.monotonic()
        try:
            raw = self.transport.exchange(request, retry_for(self.policy, repeatable, resend))
        except NO_ANSWER_ERRORS as error:
            what = describe_error(error)
            self._no_answer(what)
            fault = f"no answer ({what})" + (f", after {tries[0]} tries" if tries[0] > 1 else "")
            return ApiResponse(0, {}, "", time.monotonic() - started, fault=fault, tries=tries[0])
        if raw.status in NO_ANSWER_STATUSES:
            self._no_answer(f"status {raw.status}")
        else:
            self.breaker.answered(time.monotonic())
        response = ApiResponse(
            raw.status, raw.headers, raw.text, time.monotonic() - started, tries=tries[0]
        )
        if raw.status in TRANSIENT_STATUSES:
            return ApiResponse(
                response.status,
                response.headers,
                response.text,
                response.elapsed,
                fault=_transient(response),
                tries=response.tries,
            )
        return response

    def ensure_reachable(self, *, custody: bool = False) -> None:
        """One read of the API root before anything else: a target that is not up at all ends
        the run at once (``TargetUnreachableError``), with every retry already spent on it."""
        answer = self.send(ApiRequest("GET", "/api/v1/"), custody=custody)
        if answer.status == 0:
            raise TargetUnreachableError(
                f"target {self.target.name!r} at {self.base_url} is unreachable: "
                f"{answer.fault}; is it running?"
            )

    def _transmission(self, custody: bool = False) -> None:
        if custody:  # custody's few requests put the target back: never refused
            with self._counting:
                self.custody_sent += 1
        else:
            if self.deadline is not None:
                self.deadline.check()
            self.budget.spend()
        self.rate.wait()
        with self._counting:  # a request of the moment dimension is in flight beside another
            self.sent += 1

    def _no_answer(self, what: str) -> None:
        if self.breaker.failed(what, time.monotonic()) is not None:
            self._unreachable_check()

    def _unreachable_check(self) -> None:
        if self.breaker.tripped is not None:
            raise TargetUnreachableError(
                f"target {self.target.name!r} at {self.base_url} is unreachable: "
                f"{self.breaker.tripped}"
            )

    # -- sessions --------------------------------------------------------------------------

    def session_cookie(self, principal: Principal) -> str:
        """Log in through the Django admin and return the session id (cached per principal)."""

        if principal.name in self._sessions:
            return self._sessions[principal.name]
        if not principal.password:
            raise ValueError(f"principal {principal.name!r} has no password")
        with self.purpose.of(Purpose.SETUP):
            session_id = self._log_in(principal, principal.password)
        self._sessions[principal.name] = session_id
        return session_id

    def _log_in(self, principal: Principal, password: str) -> str:
        login = self.send(ApiRequest("GET", "/admin/login/"))
        csrf = _cookie(login, "csrftoken")
        request = ApiRequest(
            "POST",
            "/admin/login/",
            headers=(("Referer", self.base_url + "/admin/login/"),),
            form=(
                ("csrfmiddlewaretoken", csrf),
                ("username", principal.username),
                ("password", password),
                ("next", "/admin/"),
            ),
            cookies=(("csrftoken", csrf),),
        )
        # A login whose answer was lost can simply be repeated: it creates a session, no data.
        response = send_write(self, request, took_effect=lambda: False)
        session_id = _cookie(response, "sessionid")
        if not session_id:
            raise RuntimeError(
                f"login of {principal.name!r} through /admin/login/ gave no session cookie "
                f"(status {response.status}{', ' + response.fault if response.fault else ''})"
            )
        return session_id

    # -- rendering -------------------------------------------------------------------------

    def curl(self, request: ApiRequest) -> str:
        return render_curl(self.base_url, request, self.redactor)

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)


def _transient(response: ApiResponse) -> str:
    what = {429: "throttled (429)"}.get(response.status, f"status {response.status}")
    wait = response.retry_after
    if wait is not None:
        what += f", Retry-After {wait:.0f} s"
    if response.tries > 1:
        what += f", after {response.tries} tries"
    return what


def _cookie(response: ApiResponse, name: str) -> str:
    raw = response.headers.get("set-cookie", "")
    for chunk in raw.replace(",", ";").split(";"):
        key, _, value = chunk.strip().partition("=")
        if key == name:
            return value
    return ""
