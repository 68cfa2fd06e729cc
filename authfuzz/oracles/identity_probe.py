"""The identity probe: which identity did the server give a credential, without writing?

Only staff can read an unpublished release. A negative credential that reads
one was treated as staff, which is the Feb-2026 bypass seen through a GET.
This is how the gate checks production, where no write may be attempted.
"""

from __future__ import annotations

from collections.abc import Callable

from authfuzz.findings import Finding
from authfuzz.oracles import Outcome, Verdict, unanswered


def judge(
    *,
    status: int,
    body_text: str,
    draft_slug: str,
    make_finding: Callable[[str, str], Finding],
    fault: str | None = None,
) -> Verdict:
    if 200 <= status < 300 and draft_slug in body_text:
        return Verdict(
            Outcome.FINDING,
            make_finding(
                "the server treated this credential as staff: it revealed an unpublished release",
                f"GET of the unpublished release {draft_slug!r} answered {status} with its data",
            ),
        )
    if fault is not None:
        return unanswered(fault, status)
    return Verdict.passed()
