"""The one HTTP client of the harness.

Everything that talks to a target goes through ``Client.send``: the production
guard, the request budget, the rate limit, bounded retries on 429, and
redaction of every string the client renders (curl reproductions, errors).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from authfuzz.client.guard import check_request
from authfuzz.principals import Principal
from authfuzz.redaction import Redactor
from authfuzz.targets import Target

Pairs = tuple[tuple[str, str], ...]

DEFAULT_TIMEOUT = 15.0
MAX_RETRIES = 3
MAX_RETRY_WAIT = 30.0


class TargetUnreachableError(RuntimeError):
    """The target did not answer; the message names the target and URL."""


class BudgetExhaustedError(RuntimeError):
    """The target's request budget is spent; remaining checks are skipped, not failed."""


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # absolute path on the target, e.g. /api/v1/downloads/os/
    headers: Pairs = ()
    query: Pairs = ()
    json_body: Any = None
    form: Pairs | None = None
    cookies: Pairs = ()

    @property
    def has_body(self) -> bool:
        return self.json_body is not None or self.form is not None

    def header_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.headers)

    def url_path(self) -> str:
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")

    def __repr__(self) -> str:
        # Values may be secrets, and pytest prints arguments in tracebacks: names only.
        names = ", ".join(self.header_names())
        return f"ApiRequest({self.method} {self.path}, headers=[{names}], query={len(self.query)} params)"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    text: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class RequestBudget:
    limit: int | None
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                raise BudgetExhaustedError(f"request budget of {self.limit} spent")
            self.used += 1

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.used


@dataclass
class RateLimiter:
    max_rps: float | None
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self) -> None:
        if not self.max_rps:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + 1.0 / self.max_rps
        if delay > 0:
            time.sleep(delay)


class Client:
    def __init__(self, target: Target, *, share: int = 1, timeout: float = DEFAULT_TIMEOUT) -> None:
        if target.base_url is None:
            raise ValueError(f"target {target.name!r} has no base URL yet")
        self.target = target
        self.base_url = target.base_url
        self.redactor = Redactor.for_principals(target.principals)
        limit = target.max_requests // share if target.max_requests else None
        self.budget = RequestBudget(limit)
        self.rate = RateLimiter(target.max_rps / share if target.max_rps else None)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never route a target's traffic through a proxy
        # No cookie jar: a session cookie must reach only the attempts that name it, never
        # every later request (that would credit a staff session to unrelated branches).
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.sent = 0
        self.started = time.monotonic()
        self._sessions: dict[str, str] = {}

    def close(self) -> None:
        self.session.close()

    # -- sending ---------------------------------------------------------------------------

    def send(self, request: ApiRequest) -> ApiResponse:
        check_request(
            self.target.name,
            self.target.is_production,
            request.method,
            request.header_names(),
            request.has_body,
        )
        for attempt in range(MAX_RETRIES + 1):
            self.budget.spend()
            self.rate.wait()
            response = self._transmit(request)
            self.sent += 1
            if response.status != 429 or attempt == MAX_RETRIES:
                return response
            wait = _retry_after(response)
            if wait is None or wait > MAX_RETRY_WAIT:
                return response
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _transmit(self, request: ApiRequest) -> ApiResponse:
        names = [name.lower() for name in request.header_names()]
        duplicated = len(names) != len(set(names))
        try:
            if duplicated:
                return self._transmit_raw(request)
            try:
                return self._transmit_requests(request)
            except requests.exceptions.InvalidHeader:
                # requests refuses odd but sendable values (leading whitespace, bytes); the
                # raw path sends them as they are, which is the point of the test.
                return self._transmit_raw(request)
        except (
            requests.ConnectionError,
            requests.Timeout,
            ConnectionError,
            TimeoutError,
            http.client.HTTPException,
        ) as error:
            raise TargetUnreachableError(
                f"target {self.target.name!r} at {self.base_url} is unreachable "
                f"({type(error).__name__}); is it running?"
            ) from None

    def _transmit_requests(self, request: ApiRequest) -> ApiResponse:
        headers = {name: _header_value(value) for name, value in request.headers}
        kwargs: dict[str, Any] = {}
        if request.form is not None:
            kwargs["data"] = list(request.form)
        elif request.json_body is not None:
            kwargs["json"] = request.json_body
        started = time.monotonic()
        response = self.session.request(
            request.method,
            self.base_url + request.path,
            params=list(request.query) or None,
            headers=headers,
            cookies=dict(request.cookies) or None,
            timeout=self.timeout,
            allow_redirects=False,
            **kwargs,
        )
        return ApiResponse(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            text=response.text,
            elapsed=time.monotonic() - started,
        )

    def _transmit_raw(self, request: ApiRequest) -> ApiResponse:
        """Duplicated header names cannot travel through requests' header dict."""
        parts = urlsplit(self.base_url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.hostname or "", parts.port, timeout=self.timeout)
        body: bytes | None = None
        headers: list[tuple[str, str | bytes]] = list(
            (name, _header_value(value)) for name, value in request.headers
        )
        if request.form is not None:
            body = urlencode(list(request.form)).encode()
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        elif request.json_body is not None:
            body = json.dumps(request.json_body).encode()
            headers.append(("Content-Type", "application/json"))
        if request.cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in request.cookies)))
        started = time.monotonic()
        try:
            connection.putrequest(request.method, request.url_path())
            for name, value in headers:
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            return ApiResponse(
                status=raw.status,
                headers={k.lower(): v for k, v in raw.getheaders()},
                text=text,
                elapsed=time.monotonic() - started,
            )
        finally:
            connection.close()

    # -- sessions --------------------------------------------------------------------------

    def session_cookie(self, principal: Principal) -> str:
        """Log in through the Django admin and return the session id (cached per principal)."""
        if principal.name in self._sessions:
            return self._sessions[principal.name]
        if not principal.password:
            raise ValueError(f"principal {principal.name!r} has no password")
        login = self.send(ApiRequest("GET", "/admin/login/"))
        csrf = _cookie(login, "csrftoken")
        response = self.send(
            ApiRequest(
                "POST",
                "/admin/login/",
                headers=(("Referer", self.base_url + "/admin/login/"),),
                form=(
                    ("csrfmiddlewaretoken", csrf),
                    ("username", principal.username),
                    ("password", principal.password),
                    ("next", "/admin/"),
                ),
                cookies=(("csrftoken", csrf),),
            )
        )
        session_id = _cookie(response, "sessionid")
        if not session_id:
            raise RuntimeError(
                f"login of {principal.name!r} through /admin/login/ gave no session cookie "
                f"(status {response.status})"
            )
        self._sessions[principal.name] = session_id
        return session_id

    # -- rendering -------------------------------------------------------------------------

    def curl(self, request: ApiRequest) -> str:
        return render_curl(self.base_url, request, self.redactor)

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)


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
    }


def render_curl(base_url: str, request: ApiRequest, redactor: Redactor) -> str:
    """A copy-paste reproduction; secrets become environment variables the user sets."""
    parts = ["curl", "-sS", "-i", "-X", request.method]
    for name, value in request.headers:
        parts += ["-H", f"{name}: {value}"]
    if request.cookies:
        # Session ids are live credentials too: the user logs in and exports one.
        parts += ["-b", "; ".join(f"{k}={{session.{k}}}" for k, _ in request.cookies)]
    if request.form is not None:
        parts += ["--data", urlencode(list(request.form))]
    elif request.json_body is not None:
        parts += ["-H", "Content-Type: application/json", "--data", json.dumps(request.json_body)]
    parts.append(base_url + request.url_path())
    rendered = " ".join(shlex.quote(part) for part in parts)
    return env_placeholders(redactor.redact(rendered))


def env_placeholders(text: str) -> str:
    """``{principal.admin.api_key}`` -> ``${AUTHFUZZ_ADMIN_API_KEY}`` (quotes opened for the shell)."""
    import re

    def replace(match: re.Match[str]) -> str:
        name = f"AUTHFUZZ_{match.group(1)}_{match.group(2)}".upper().replace("-", "_")
        return "'\"${" + name + "}\"'"

    text = re.sub(r"\{principal\.([A-Za-z0-9_-]+)\.(api_key|token|password)\}", replace, text)
    return re.sub(
        r"\{session\.([A-Za-z0-9_]+)\}",
        lambda m: "'\"${AUTHFUZZ_" + m.group(1).upper() + "}\"'",
        text,
    )


def _header_value(value: str) -> str | bytes:
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _retry_after(response: ApiResponse) -> float | None:
    raw = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _cookie(response: ApiResponse, name: str) -> str:
    raw = response.headers.get("set-cookie", "")
    for chunk in raw.replace(",", ";").split(";"):
        key, _, value = chunk.strip().partition("=")
        if key == name:
            return value
    return ""
