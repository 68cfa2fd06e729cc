"""The production guard: the one place that decides whether a request may be sent.

Against a target marked ``production`` only requests that cannot change state
even on a vulnerable server go out: GET, HEAD or OPTIONS, with no body and no
method-override header (v1 turns ``GET`` + ``X-HTTP-Method-Override: DELETE``
into a delete). The client calls ``check_request`` before every send, so no
code path can bypass it.
"""

from __future__ import annotations

from collections.abc import Iterable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OVERRIDE_HEADERS = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})


class ProductionGuardError(RuntimeError):
    """A request that could change state was about to be sent to a production target."""


def could_change_state(method: str, header_names: Iterable[str], has_body: bool) -> str | None:
    """Why this request could change state on a vulnerable server, or None if it cannot."""
    if method.upper() not in SAFE_METHODS:
        return f"method {method.upper()} can change state"
    overrides = sorted(n for n in header_names if n.lower() in OVERRIDE_HEADERS)
    if overrides:
        return f"header {overrides[0]} can turn a {method.upper()} into a write"
    if has_body:
        return f"a {method.upper()} with a body can be treated as a write"
    return None


def check_request(
    target_name: str, is_production: bool, method: str, header_names: Iterable[str], has_body: bool
) -> None:
    if not is_production:
        return
    reason = could_change_state(method, header_names, has_body)
    if reason is not None:
        raise ProductionGuardError(
            f"refused to send {method.upper()} to production target {target_name!r}: {reason}"
        )
