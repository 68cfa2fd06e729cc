"""BulkDeleteStaysInScope: a bulk delete of release files never reaches past the release it names.

Even for trusted staff: a ``release`` filter that names one release (a single valid integer)
may delete that release's files and no others, and a query without a usable filter may delete
nothing. Judged on what a trusted read-back shows of canary files in and out of scope, never
on the status: a 4xx is no evidence either way (the deletion may have run before the error),
and neither is a 2xx (v2 answers 204 for a pk that does not exist and deletes nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authfuzz.findings import Finding
from authfuzz.oracles import Outcome, Verdict, unanswered

INVARIANT = "bulk-delete-stays-in-scope"


@dataclass(frozen=True)
class CanaryFile:
    """A release file the check created, and the release it belongs to."""

    pk: int
    release: int


def judge(
    *,
    status: int,
    deleted: Sequence[CanaryFile],
    in_scope: int | None,
    make_finding: Callable[[str, str], Finding],
    fault: str | None = None,
) -> Verdict:
    """``deleted``: the canary files gone after the request; ``in_scope``: the release whose
    files the query may delete, or None when it names no usable release. With a ``fault``
    (the answer lost or transient) and nothing deleted, the server may never have seen the
    request: not checked."""
    outside = [f for f in deleted if in_scope is None or f.release != in_scope]
    if outside:
        scope = (
            "the query names no usable release, so it may delete nothing"
            if in_scope is None
            else f"the query names release {in_scope}, so only its files may go"
        )
        evidence = "; ".join(
            f"release file {f.pk} of release {f.release} (not in scope) deleted" for f in outside
        )
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"the bulk delete removed {len(outside)} release file(s) outside its scope "
                f"(status {status})",
                f"{evidence} ({scope})",
            ),
        )
    if fault is not None and not deleted:
        return unanswered(fault, status)
    if status >= 500:
        return Verdict(
            Outcome.PASS,
            reason=f"robustness: status {status} for a bulk delete (nothing out of scope "
            "deleted; a bad filter should answer 400)",
        )
    return Verdict.passed()


def positive_control_failed(
    status: int,
    deleted: Sequence[CanaryFile],
    target_files: Sequence[CanaryFile],
    fault: str | None = None,
) -> str | None:
    """Why the legal bulk delete did not visibly work, or None if it did (also when its answer
    was lost: the read-back shows it worked)."""
    missing = [f for f in target_files if f not in deleted]
    if (200 <= status < 300 or fault is not None) and not missing:
        return None
    return (
        f"the legal bulk delete of the target release got status {status} and read-back shows "
        f"{len(target_files) - len(missing)} of its {len(target_files)} file(s) deleted; "
        "without a working positive control the check cannot tell a refused filter from a "
        "broken request"
    )
