"""NoUnauthenticatedWrite: a negative attempt changes nothing, whatever the status says.

A 400 is never evidence either way (v1 validates before it authorizes); only
a 2xx or a change seen on read-back is. Both mismatches are reported: a 2xx
that changed nothing still means the server accepted the credential.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authfuzz.findings import Finding
from authfuzz.oracles import Outcome, Verdict

INVARIANT = "no-unauthenticated-write"


def judge(
    *,
    status: int,
    before: Any,
    after: Any,
    is_create: bool,
    make_finding: Callable[[str, str], Finding],
) -> Verdict:
    changed = bool(after) if is_create else before != after
    evidence = _evidence(before, after, is_create)
    if changed:
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"the write took effect (status {status}) without valid staff credentials", evidence
            ),
        )
    if 200 <= status < 300:
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"the server accepted the request (status {status}) although read-back shows no change",
                evidence,
            ),
        )
    if status == 429:
        return Verdict.inconclusive("throttled (429) and Retry-After too long or retries spent")
    return Verdict.passed()


def positive_control_failed(status: int, before: Any, after: Any, is_create: bool) -> str | None:
    """Why the valid staff write did not visibly work, or None if it did."""
    changed = bool(after) if is_create else before != after
    if 200 <= status < 300 and changed:
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
