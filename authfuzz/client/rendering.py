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
    """A reproduction that runs as shown once the target's secrets are exported.

    Each word is redacted on its own, then quoted: plain text in single quotes, a control
    character (a tab in a key) as ``$'\\t'``, and each secret as ``"${VAR}"``, the variable the
    targets file names (``api_key_env``) or ``AUTHFUZZ_<PRINCIPAL>_<KIND>``. A credential
    derived from a secret (a near miss: one character changed) has no such spelling; such a
    request is not shown as a curl line at all, but as the way to replay it.
    """
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
    redacted = [redactor.redact(part) for part in parts]
    if any("{redacted}" in part for part in redacted):
        return DERIVED
    names = dict(redactor.env_names)
    return " ".join(_shell_word(part, names) for part in redacted)


# What stands in for a curl line whose credential is derived from a secret.
DERIVED = (
    "(no curl line: the credential is derived from a secret, a near miss; replay this "
    "finding with `authfuzz repro` and its PoC file)"
)
_PLACEHOLDER = re.compile(
    r"\{principal\.[A-Za-z0-9_-]+\.(?:api_key|token|password)\}|\{session\.[A-Za-z0-9_]+\}"
)


def _shell_word(text: str, env_names: dict[str, str]) -> str:
    """One shell word: literal stretches quoted, placeholders as ``"${VAR}"``."""
    pieces: list[str] = []
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > at:
            pieces.append(_quote(text[at : match.start()]))
        pieces.append('"${' + _variable(match.group(0), env_names) + '}"')
        at = match.end()
    if at < len(text) or not pieces:
        pieces.append(_quote(text[at:]))
    return "".join(pieces)


def _variable(placeholder: str, env_names: dict[str, str]) -> str:
    if placeholder in env_names:
        return env_names[placeholder]
    inner = placeholder.strip("{}").split(".")
    if inner[0] == "session":
        return f"AUTHFUZZ_{inner[1]}".upper()
    return f"AUTHFUZZ_{inner[1]}_{inner[2]}".upper().replace("-", "_")


def _quote(text: str) -> str:
    """Single quotes, or ANSI-C ``$'...'`` when the text holds a character a terminal would
    act on if pasted (a tab completes, a newline runs the line)."""
    if text.isprintable():
        return shlex.quote(text)
    escaped = []
    for char in text:
        if char in "\\'":
            escaped.append("\\" + char)
        elif char.isprintable():
            escaped.append(char)
        else:
            code = ord(char)
            if code < 0x100:
                escaped.append(f"\\x{code:02x}")
            else:
                escaped.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "$'" + "".join(escaped) + "'"


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
