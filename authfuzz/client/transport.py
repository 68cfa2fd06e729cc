"""Putting an ``ApiRequest`` on the wire: urllib3, one connection pool per target.

urllib3 directly rather than through requests: requests keeps headers in a dict, so a
request with the same header twice (two ``Authorization`` headers, one of the negative
branches) could not travel through it, and it refuses values the gate sends on purpose
(leading whitespace, non-Latin-1 bytes). That used to need a second, hand-written
``http.client`` path; urllib3's ``HTTPHeaderDict`` carries both, so every request now takes the
one path, with the one ``Retry``. Nothing is rewritten: no cookie jar, no proxy from the
environment, no redirects followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3 import HTTPHeaderDict

from authfuzz import __version__
from authfuzz.client.bodies import encode_body, encode_form
from authfuzz.client.faults import ClientRetry, FaultPolicy
from authfuzz.client.messages import ApiRequest
from authfuzz.secrecy import hide_query_strings_in_urllib3_logs

USER_AGENT = f"authfuzz/{__version__} (security regression gate)"
# What the transport raises when no answer arrived, after urllib3's own retries.
NO_ANSWER_ERRORS: tuple[type[BaseException], ...] = (urllib3.exceptions.HTTPError, OSError)


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    text: str


class Transport:
    def __init__(self, base_url: str, policy: FaultPolicy) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.prefix = parts.path.rstrip("/")
        self.connect_timeout = policy.connect_timeout
        hide_query_strings_in_urllib3_logs()
        options: dict[str, Any] = {
            "maxsize": 4,
            "block": False,
            "timeout": urllib3.Timeout(connect=policy.connect_timeout, read=policy.read_timeout),
            "retries": False,
        }
        self.pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            import certifi

            self.pool = urllib3.HTTPSConnectionPool(
                parts.hostname, parts.port, ca_certs=certifi.where(), **options
            )
        else:
            self.pool = urllib3.HTTPConnectionPool(parts.hostname, parts.port, **options)

    def exchange(self, request: ApiRequest, retry: ClientRetry) -> RawResponse:
        headers, body = encode(request)
        extra: dict[str, Any] = {}
        if request.read_timeout is not None:
            extra["timeout"] = urllib3.Timeout(
                connect=self.connect_timeout, read=request.read_timeout
            )
        response = self.pool.urlopen(
            request.method,
            self.prefix + request.url_path(),
            body=body,
            headers=headers,
            retries=retry,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            **extra,
        )
        return RawResponse(
            status=response.status,
            headers={name.lower(): value for name, value in response.headers.items()},
            text=response.data.decode("utf-8", "replace"),
        )

    def close(self) -> None:
        self.pool.close()


def encode(request: ApiRequest) -> tuple[HTTPHeaderDict, bytes | None]:
    """Headers exactly as the request gives them (repeats kept, in order), and the body."""
    headers = HTTPHeaderDict()
    headers["User-Agent"] = USER_AGENT
    for name, value in request.headers:
        headers.add(name, _header_value(value))  # type: ignore[arg-type]
    body: bytes | None = None
    if request.form is not None:
        multipart = request.body_format == "multipart"
        body, headers["Content-Type"] = encode_form(request.form, multipart)
    elif request.json_body is not None:
        body, headers["Content-Type"] = encode_body(request.json_body, request.body_format)
    if request.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in request.cookies)
    if request.method.upper() == "HEAD" and "connection" not in headers:
        # A server that sends a body to HEAD anyway (waitress did) leaves it in a kept-alive
        # connection, where it is read as the start of the next answer: that next request
        # then looks lost, and a write is never re-sent. A HEAD's connection is not reused.
        headers["Connection"] = "close"
    return headers, body


def _header_value(value: str) -> str | bytes:
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8")


def describe_error(error: BaseException) -> str:
    """A short, secret-free name for why no answer arrived (never the URL: it may hold one)."""
    causes = _causes(error)
    for kind, text in _KINDS:
        if any(isinstance(cause, kind) for cause in causes):
            return text
    if any(type(c).__name__ in ("RemoteDisconnected", "IncompleteRead") for c in causes):
        return "connection closed without an answer"
    return type(error).__name__


# Most specific first: urllib3 wraps the socket's own error in its own kinds.
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ConnectionAbortedError, "connection aborted"),
    (urllib3.exceptions.ReadTimeoutError, "read timeout"),
    (urllib3.exceptions.NewConnectionError, "no connection"),
    (urllib3.exceptions.ConnectTimeoutError, "connect timeout"),
    (TimeoutError, "timeout"),
    (urllib3.exceptions.ResponseError, "too many transient answers"),
)


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps (urllib3 nests the socket's error a few levels deep)."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending and len(chain) < 8:
        current = pending.pop(0)
        if current is None or current in chain:
            continue
        chain.append(current)
        pending.append(getattr(current, "reason", None))
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [current.__cause__, current.__context__]
    return chain
