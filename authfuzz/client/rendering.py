"""Requests as people and PoC files see them: every secret replaced before it is shown.

A curl line puts secrets in environment variables the user sets; a replayable request keeps
``{principal.NAME.KIND}`` placeholders. Both go through the target's ``Redactor``.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any
from urllib.parse import urlencode

from authfuzz.client.bodies import encode_body, form_fields
from authfuzz.client.messages import ApiRequest
from authfuzz.redaction import Redactor


def redacted_request(
    request: ApiRequest, redactor: Redactor, session_of: str | None = None
) -> dict[str, Any]:
    """The request as data with every secret replaced, for findings and PoC export."""
    body = None
    if request.json_body is not None:
        body = json.loads(redactor.redact(json.dumps(request.json_body)))
    return {
        "method": request.method,
        "path": request.path,
        "headers": [[name, redactor.redact(value)] for name, value in request.headers],
        "query": [[key, redactor.redact(value)] for key, value in request.query],
        "json": body,
        "form": None
        if request.form is None
        else [[k, redactor.redact(v)] for k, v in request.form],
        "session_of": session_of,
        **({} if request.body_format == "json" else {"body_format": request.body_format}),
    }


def render_curl(base_url: str, request: ApiRequest, redactor: Redactor) -> str:
    """A copy-paste reproduction; secrets become environment variables the user sets."""
    parts = ["curl", "-sS", "-i", "-X", request.method]
    for name, value in request.headers:
        parts += ["-H", f"{name}: {value}"]
    if request.cookies:
        # Session ids are live credentials too: the user logs in and exports one.
        parts += ["-b", "; ".join(f"{k}={{session.{k}}}" for k, _ in request.cookies)]
    if request.form is not None and request.body_format == "multipart":
        parts += [part for name, value in request.form for part in ("-F", f"{name}={value}")]
    elif request.form is not None:
        parts += ["--data", urlencode(list(request.form))]
    elif request.json_body is not None:
        parts += _curl_body(request)
    parts.append(base_url + request.url_path())
    rendered = " ".join(shlex.quote(part) for part in parts)
    return env_placeholders(redactor.redact(rendered))


def _curl_body(request: ApiRequest) -> list[str]:
    """The body as curl sends it in the request's format (multipart as ``-F`` fields)."""
    if request.body_format == "multipart":
        return [
            part
            for name, value in form_fields(request.json_body)
            for part in ("-F", f"{name}={value}")
        ]
    if request.body_format == "json":
        return ["-H", "Content-Type: application/json", "--data", json.dumps(request.json_body)]
    body, content_type = encode_body(request.json_body, request.body_format)
    return ["-H", f"Content-Type: {content_type}", "--data-binary", body.decode()]


def env_placeholders(text: str) -> str:
    """``{principal.admin.api_key}`` -> ``${AUTHFUZZ_ADMIN_API_KEY}`` (quotes opened for the shell)."""

    def replace(match: re.Match[str]) -> str:
        name = f"AUTHFUZZ_{match.group(1)}_{match.group(2)}".upper().replace("-", "_")
        return "'\"${" + name + "}\"'"

    text = re.sub(r"\{principal\.([A-Za-z0-9_-]+)\.(api_key|token|password)\}", replace, text)
    return re.sub(
        r"\{session\.([A-Za-z0-9_]+)\}",
        lambda m: "'\"${AUTHFUZZ_" + m.group(1).upper() + "}\"'",
        text,
    )
