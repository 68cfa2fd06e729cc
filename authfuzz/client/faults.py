"""What the client treats as a transient fault, and how long it keeps trying.

The one place that decides it. Transient: no answer at all (connection refused or reset, a
timeout) and the statuses a front end or an overloaded server gives instead of the
application's own verdict: 502, 503, 504, and 429 (a throttle). A 500 is the application's
answer (a database error, say) and is judged like any other status.

- A request that cannot change state (the production guard's definition of safe) is sent
  again by urllib3's ``Retry``: bounded exponential backoff with jitter, ``Retry-After``
  honoured up to ``max_retry_after``. A longer ``Retry-After`` is not waited for at all: the
  answer is returned at once and the check that needed it ends not checked, never a hang.
- A request that could change state is sent once; only a connection that was never made is
  retried (the server never saw it). When its answer is lost or transient, the caller reads
  state back before anything is sent again (``resend.send_write``).
- ``CircuitBreaker`` decides when the target is down rather than flaky: many transmissions in
  a row without an answer, or no answer for a long time. Only then does the run stop with
  exit code 3.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import RequestHistory, Retry

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
NO_ANSWER_STATUSES = frozenset({502, 503, 504})  # count against the circuit breaker


class TargetUnreachableError(BaseException):
    """The circuit breaker tripped: the target is down, not merely flaky.

    A ``BaseException`` so that no layer between the client and the plugin (Hypothesis,
    Schemathesis, a clean-up that suppresses ``Exception``) can swallow it.
    """


@dataclass(frozen=True)
class FaultPolicy:
    """How hard the client tries before a check is declared not checked."""

    retries: int = 5  # transmissions after the first, for a request that cannot change state
    backoff: float = 0.1  # urllib3's backoff_factor: 0, 0.2, 0.4, 0.8, 1.6 s ...
    jitter: float = 0.1  # up to this many seconds added to each backoff
    max_backoff: float = 4.0
    max_retry_after: float = 30.0  # a longer Retry-After is not waited for
    write_attempts: int = 6  # sends of a state-changing request, each after a read-back
    breaker_failures: int = 12  # transmissions in a row without an answer
    breaker_silence: float = 60.0  # seconds without an answer, while failing
    connect_timeout: float = 5.0
    read_timeout: float = 15.0

    def backoff_before(self, attempt: int, retry_after: float | None) -> float:
        """The pause before re-sending a write for the ``attempt``-th time (1 = first resend)."""
        if retry_after is not None:
            return retry_after
        pause = self.backoff * (2**attempt) + random.random() * self.jitter
        return float(min(self.max_backoff, pause))


def retry_after_seconds(headers: Any) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), or None when absent or garbled."""
    raw = headers.get("retry-after") if headers is not None else None
    if raw is None:
        return None
    raw = str(raw).strip()
    if raw.isdigit():
        return float(raw)
    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


class ClientRetry(Retry):
    """urllib3's ``Retry`` with two additions the gate needs.

    ``on_resend`` runs before every re-transmission, with the failed one's history entry (the
    client counts it, feeds the circuit breaker, spends budget and keeps its rate limit, since
    urllib3 re-sends on its own), and a ``Retry-After`` longer than
    ``retry_after_max`` ends the retries instead of being cut short and slept.
    """

    on_resend: Callable[[RequestHistory | None], None] | None = None

    def new(self, **kwargs: Any) -> ClientRetry:
        retry = super().new(**kwargs)
        assert isinstance(retry, ClientRetry)
        retry.on_resend = self.on_resend
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> ClientRetry:
        response = kwargs.get("response")
        wait = retry_after_seconds(response.headers) if response is not None else None
        if wait is not None and wait > self.retry_after_max:
            raise MaxRetryError(kwargs["_pool"], kwargs.get("url") or "", None)
        retry = super().increment(*args, **kwargs)
        assert isinstance(retry, ClientRetry)
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        return retry_after_seconds(response.headers)

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.on_resend is not None:
            self.on_resend(self.history[-1] if self.history else None)


def retry_for(
    policy: FaultPolicy, repeatable: bool, on_resend: Callable[[RequestHistory | None], None]
) -> ClientRetry:
    """The retry rules of one request: everything transient when repeating it is harmless,
    only connections never made when it could change state."""
    retry = ClientRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries if repeatable else False,
        status=policy.retries if repeatable else 0,
        other=0,
        redirect=False,
        # The caller has decided whether the request may be repeated (the guard's rule looks at
        # headers and body too, not only the method), so urllib3 must not filter by method.
        allowed_methods=None,
        status_forcelist=TRANSIENT_STATUSES if repeatable else frozenset(),
        backoff_factor=policy.backoff,
        backoff_jitter=policy.jitter,
        backoff_max=policy.max_backoff,
        retry_after_max=int(policy.max_retry_after),
        respect_retry_after_header=repeatable,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    retry.on_resend = on_resend
    return retry


@dataclass
class CircuitBreaker:
    """Trips after ``max_failures`` transmissions in a row without an answer, or when nothing
    has answered for ``max_silence`` seconds while transmissions fail."""

    max_failures: int
    max_silence: float
    failures: int = 0
    last_answer: float = field(default_factory=time.monotonic)
    tripped: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answered(self, now: float) -> None:
        with self._lock:
            self.failures = 0
            self.last_answer = now

    def failed(self, what: str, now: float) -> str | None:
        """Record a transmission without an answer; the reason if the breaker trips now."""
        with self._lock:
            self.failures += 1
            if self.tripped is None:
                if self.failures >= self.max_failures:
                    self.tripped = f"{self.failures} transmissions in a row got no answer"
                elif now - self.last_answer > self.max_silence:
                    self.tripped = f"no answer for {now - self.last_answer:.0f} s"
                if self.tripped is not None:
                    self.tripped += f" (last: {what})"
            return self.tripped
