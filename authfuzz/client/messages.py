"""What the harness sends and what it gets back, as plain values.

``ApiRequest`` may carry secrets (it is what goes on the wire), so its ``repr`` shows header
names only. ``ApiResponse.fault`` is set when the response is not the server's verdict on the
request: no answer arrived (``status`` 0), or a transient status (429, 502, 503, 504) was still
the answer after every retry. A check never judges a fault as a pass or as a finding; only
its read-back can turn it into either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authfuzz.client.faults import retry_after_seconds

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # absolute path on the target, e.g. /api/v1/downloads/os/
    headers: Pairs = ()
    query: Pairs = ()
    json_body: Any = None  # the body's data, sent in ``body_format``
    form: Pairs | None = None  # explicit form pairs; replace ``json_body`` when set
    cookies: Pairs = ()
    body_format: str = "json"  # json | xml | yaml | form | multipart (authfuzz.client.bodies)
    # Seconds to wait for the answer, when shorter than the policy's: the client gives up and
    # drops the connection, as a client that hangs up mid-request does (the answer dimension).
    read_timeout: float | None = None

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

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True)
class ApiResponse:
    status: int  # 0: no answer arrived
    headers: dict[str, str]  # lower-case names
    text: str
    elapsed: float
    fault: str | None = None  # why this is not the server's verdict, if it is not
    tries: int = 1  # transmissions it took (retries of a repeatable request included)

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers)
