"""A state-changing request whose answer is lost is not sent again blindly.

When a write gets no answer, or a transient one (a reset after the request went out, a 503
from a proxy, a 429), the server may or may not have carried it out. Sending it again at once
could do it twice; counting it as refused could pass a vulnerable server. So the caller's
read-back speaks first: if the write took effect, that is the answer (and the check's verdict
comes from it); only if it did not is the request sent again, after the backoff or the
``Retry-After`` the target asked for, at most ``FaultPolicy.write_attempts`` times in all. A
response that still carries a fault after that leaves the check not checked.

The loop is hand-written (a few lines) because the decision between tries is a read-back,
which urllib3's ``Retry`` cannot make; the pause reuses the policy's backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from authfuzz.client.faults import FaultPolicy
from authfuzz.client.guard import could_change_state
from authfuzz.client.messages import ApiRequest, ApiResponse


class Sender(Protocol):
    """What a re-send needs of the client: its door and its fault policy."""

    policy: FaultPolicy

    def send(self, request: ApiRequest, *, custody: bool = False) -> ApiResponse: ...


def send_write(
    client: Sender, request: ApiRequest, took_effect: Callable[[], bool], *, custody: bool = False
) -> ApiResponse:
    """Send ``request``; on a fault, re-send only while ``took_effect()`` says nothing happened.

    ``custody``: the request is custody's own (see ``Client.send``)."""
    policy = client.policy
    response = client.send(request, custody=custody)
    if could_change_state(request.method, request.header_names(), request.has_body) is None:
        return response  # repeatable: the transport has already retried it
    for attempt in range(1, policy.write_attempts):
        if response.fault is None or took_effect():
            return response
        wait = response.retry_after
        if wait is not None and wait > policy.max_retry_after:
            return response  # a long throttle is not waited for: not checked
        if response.status != 0 or wait is not None:
            # A 5xx or a 429 says the target is busy: give it the time it asked for, or back
            # off. An answer lost on the way needs no pause: the read-back was one.
            time.sleep(policy.backoff_before(attempt, wait))
        response = client.send(request, custody=custody)
    return response
