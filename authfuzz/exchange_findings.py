"""One place turns a sent request and the target's answer into a ``Finding``.

Every check that finds something (auth read-back, identity probe, URL writes, bulk
deletes, Schemathesis cases, PoC replay) builds its finding here, so every finding is
redacted the same way (summary, request, evidence, labels) and carries the same curl and
the same replayable request for PoC export; a check only says what it concluded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from authfuzz.client import ApiRequest, ApiResponse, Client, redacted_request
from authfuzz.findings import Finding


def describe_request(request: ApiRequest) -> str:
    """One line for people; secrets still in it, so callers redact (``finding_from`` does)."""
    parts = [f"{request.method} {request.url_path()}"]
    parts += [f"{name}: {value}" for name, value in request.headers]
    if request.cookies:
        parts.append(
            "Cookie: " + "; ".join(f"{k}=<session of a staff user>" for k, _ in request.cookies)
        )
    if request.form is not None:
        kind = "multipart" if request.body_format == "multipart" else "form"
        parts.append(f"{kind} " + "&".join(f"{k}={v}" for k, v in request.form))
    elif request.json_body is not None:
        parts.append(f"{request.body_format} " + json.dumps(request.json_body, sort_keys=True))
    return " | ".join(parts)


def finding_from(
    client: Client,
    request: ApiRequest,
    response: ApiResponse,
    *,
    invariant: str,
    oracle: str,
    branch: str,
    operation: str,
    summary: str,
    evidence: str,
    labels: Iterable[str] = (),
    session_of: str | None = None,
) -> Finding:
    """The finding for one exchange with ``client``'s target, with every string redacted."""
    redact = client.redact
    return Finding(
        invariant=invariant,
        oracle=oracle,
        target=client.target.name,
        branch=branch,
        operation=operation,
        summary=redact(summary),
        request=redact(describe_request(request)),
        status=response.status,
        evidence=redact(evidence),
        curl=client.curl(request),
        labels=tuple(redact(label) for label in labels),
        replay=redacted_request(request, client.redactor, session_of),
    )
