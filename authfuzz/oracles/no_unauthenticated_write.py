"""NoUnauthenticatedWrite: a negative attempt changes nothing, whatever the status says.

A 400 is never evidence either way (v1 validates before it authorizes); only
a 2xx or a change seen on read-back is. Both mismatches are reported: a 2xx
that changed nothing still means the server accepted the credential. A request
whose answer was lost or transient (``fault``) is judged by the read-back alone:
a change is a finding that says the answer was lost; no change is not checked,
never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authfuzz.findings import Finding
from authfuzz.oracles import Outcome, Verdict, unanswered

INVARIANT = "no-unauthenticated-write"


def judge(
    *,
    status: int,
    before: Any,
    after: Any,
    is_create: bool,
    make_finding: Callable[[str, str], Finding],
    fault: str | None = None,
    sent_as_read: bool = False,
) -> Verdict:
    """A change is a finding; so is a 2xx to a write, unless the request line was a read.

    ``sent_as_read``: the write travelled as a GET or HEAD asking for its method elsewhere
    (an override). A server that ignores the override answers the read with 200, which says
    nothing about the write; only the read-back does.
    """
    changed = bool(after) if is_create else before != after
    evidence = _evidence(before, after, is_create)
    if changed:
        how = f"status {status}" if fault is None else f"its answer was lost: {fault}"
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"the write took effect ({how}) without valid staff credentials", evidence
            ),
        )
    if fault is not None:
        return unanswered(fault, status)
    if 200 <= status < 300 and not sent_as_read:
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"the server accepted the request (status {status}) although read-back shows no change",
                evidence,
            ),
        )
    return Verdict.passed()


def positive_control_failed(
    status: int, before: Any, after: Any, is_create: bool, fault: str | None = None
) -> str | None:
    """Why the valid staff write did not visibly work, or None if it did (a write whose answer
    was lost worked if the read-back shows it; the caller rules out a fault with no change)."""
    changed = bool(after) if is_create else before != after
    if changed and (200 <= status < 300 or fault is not None):
        return None
    return (
        f"the valid staff credential got status {status} and read-back shows "
        f"{'a change' if changed else 'no change'}; without a working positive control the "
        "gate cannot tell a rejection from a broken request"
    )


def _evidence(before: Any, after: Any, is_create: bool) -> str:
    if is_create:
        return f"objects with the request's nonce after the attempt: {len(after or [])}"
    if after is None:
        return "the canary object no longer exists"
    if before == after:
        return "the canary object is unchanged"
    if isinstance(after, list):
        return f"canary files before: {len(before or [])}, after: {len(after)}"
    fields = sorted(
        k for k in set(before or {}) | set(after) if (before or {}).get(k) != after.get(k)
    )
    return f"canary fields changed: {', '.join(fields)}"
