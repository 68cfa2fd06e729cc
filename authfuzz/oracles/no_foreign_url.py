"""NoForeignUrl: a value the URL policy rejects is never stored, whoever writes it.

Judged on what a trusted read-back shows, not on the status: a stored
violation is a finding whatever the status said, and a 2xx for a rejected
value is a finding unless the read-back shows a legal value took its place (a
server that normalises, as DRF trims whitespace, stores nothing foreign). A 500 with nothing stored is
a robustness warning (the database constraint caught what validation missed),
not a pass-through and not a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authfuzz.findings import Finding
from authfuzz.oracles import Outcome, Verdict, unanswered
from authfuzz.url_policy import URL_FIELDS, violations

INVARIANT = "no-foreign-url"


def judge(
    *,
    status: int,
    policy_accepts: bool,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    url_prefix: str,
    make_finding: Callable[[str, str], Finding],
    fault: str | None = None,
) -> Verdict:
    stored = _url_fields(after)
    changed = after is not None and stored != _url_fields(before)
    found = violations(stored, url_prefix) if changed else []
    if found:
        described = "; ".join(v.describe(url_prefix) for v in found)
        how = f"status {status}" if fault is None else f"its answer was lost: {fault}"
        return Verdict(
            Outcome.FINDING,
            make_finding(f"stored a URL the policy rejects ({how})", f"read-back: {described}"),
        )
    if fault is not None and not changed:
        return unanswered(fault, status)
    if policy_accepts:
        return Verdict.passed()
    if 200 <= status < 300 and changed:
        # What was stored is legal: the server normalised the value (DRF trims
        # surrounding whitespace, for one). The invariant is about what is stored.
        return Verdict(
            Outcome.PASS, reason=f"status {status}: the value was normalised to a legal one"
        )
    if 200 <= status < 300:
        return Verdict(
            Outcome.FINDING,
            make_finding(
                f"accepted a URL the policy rejects (status {status})",
                "read-back shows no stored violation, but the server answered success",
            ),
        )
    if status >= 500:
        return Verdict(
            Outcome.PASS,
            reason=f"robustness: status {status} for a rejected URL (nothing stored; "
            "validation should answer 400 before the database does)",
        )
    return Verdict.passed()


def _url_fields(obj: dict[str, Any] | None) -> dict[str, Any]:
    if obj is None:
        return {}
    return {name: obj.get(name, "") for name in URL_FIELDS}
