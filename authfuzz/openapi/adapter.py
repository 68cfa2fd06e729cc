"""Between a Schemathesis case and the harness: the request it means, the response it sees.

A case never goes out through Schemathesis's transport: ``case_request`` turns it into an
``ApiRequest`` (the attempt adds the credential) that the one client sends, and Schemathesis
then sees a ``Response`` built from the *redacted* request and answer, so whatever it prints
(its failure report, its curl line) cannot hold a secret, on top of its own sanitising of
``Authorization`` as ``[Filtered]``. ``conform`` runs its conformance checks on that.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode

import requests
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, Response
from schemathesis.core import NotSet

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, ApiResponse, Client
from authfuzz.exchange_findings import describe_request
from authfuzz.operations import Operation


def operation_id(case: Case[Any]) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def spec_operation(case: Case[Any]) -> Operation:
    """The case's operation as the harness knows it, from the spec's x-authfuzz extensions."""
    raw = case.operation.definition.raw
    try:
        return Operation(
            operation_id=operation_id(case),
            api=Api(raw["x-authfuzz-api"]),
            resource=str(raw["x-authfuzz-resource"]),
            kind=str(raw["x-authfuzz-kind"]),
            method=case.operation.method.upper(),
            path=case.operation.path,
        )
    except (KeyError, ValueError) as error:
        raise ValueError(f"{case.operation.label} lacks x-authfuzz metadata: {error}") from None


# -- from a case to a request, and back to a Schemathesis response --------------------------------


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def case_request(case: Case[Any]) -> ApiRequest:
    """The case as a credential-less ``ApiRequest`` (the attempt adds the credential)."""
    query: list[tuple[str, str]] = []
    for name, value in (case.query or {}).items():
        values = value if isinstance(value, list) else [value]
        query += [(str(name), _wire(v)) for v in values]
    headers = tuple(
        (str(name), _wire(value))
        for name, value in (case.headers or {}).items()
        if str(name).lower() not in ("authorization", "cookie")
    )
    body = None if isinstance(case.body, NotSet) else case.body
    return ApiRequest(
        case.method, case.formatted_path, headers=headers, query=tuple(query), json_body=body
    )


def shown_request(client: Client, request: ApiRequest) -> requests.PreparedRequest:
    """What Schemathesis may see of a sent request: every value already redacted."""
    redact = client.redact
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    prepared.url = client.base_url + redact(request.url_path())
    headers: dict[str, str] = {}
    for name, value in request.headers:
        shown = redact(value)
        headers[name] = f"{headers[name]}, {shown}" if name in headers else shown
    if request.cookies:
        headers["Cookie"] = "; ".join(f"{k}=<session of a staff user>" for k, _ in request.cookies)
    body: str | None = None
    if request.form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = redact(urlencode(list(request.form)))
    elif request.json_body is not None:
        headers["Content-Type"] = "application/json"
        body = redact(json.dumps(request.json_body))
    prepared.headers = CaseInsensitiveDict(headers)
    prepared.body = body
    return prepared


def as_response(client: Client, request: ApiRequest, response: ApiResponse) -> Response:
    redact = client.redact
    return Response(
        status_code=response.status,
        headers={name: [redact(value)] for name, value in response.headers.items()},
        content=redact(response.text).encode("utf-8"),
        request=shown_request(client, request),
        elapsed=response.elapsed,
        verify=True,
        message=http.client.responses.get(response.status, ""),
        encoding="utf-8",
    )


def conform(
    case: Case[Any], request: ApiRequest, response: ApiResponse, client: Client, who: str
) -> None:
    """Schemathesis's conformance checks on the answer (``config``'s list). A failure raises its
    group, with what was sent (redacted) as notes: Schemathesis knows the case, not the
    credential that dressed it."""
    try:
        case.validate_response(as_response(client, request, response))
    except BaseExceptionGroup as group:
        group.add_note(f"authfuzz attempt: {client.redact(who)}")
        group.add_note(f"authfuzz request: {client.redact(describe_request(request))}")
        group.add_note(f"reproduce: {client.curl(request)}")
        raise
