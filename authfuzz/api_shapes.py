"""What a request's path and headers mean on this API: which list or object a path names,
and which method a server that honours overrides would apply (``authfuzz.travel`` lists them).

Plain facts, used by the client's guard, custody's ledger and the throttle buckets alike; kept
out of the client package so that those can use them without importing the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from authfuzz.travel import OVERRIDE_HEADERS, OVERRIDE_PARAMS

__all__ = ["OVERRIDE_HEADERS", "OVERRIDE_PARAMS", "detail_target", "list_resource", "overrides"]

_LIST_PATH = re.compile(r"^/api/(?:v1|v2)/downloads/(os|release|release_file)/$")
_DETAIL_PATH = re.compile(r"^/api/(?:v1|v2)/downloads/(os|release|release_file)/(\d+)/$")


def list_resource(path: str) -> str | None:
    """The resource whose list ``path`` is (``/api/v1/downloads/os/`` -> ``os``), or None."""
    match = _LIST_PATH.match(path)
    return match.group(1) if match else None


def detail_target(path: str) -> tuple[str, int] | None:
    """The (resource, id) whose detail ``path`` is, or None."""
    match = _DETAIL_PATH.match(path)
    return (match.group(1), int(match.group(2))) if match else None


def overrides(
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """(where, requested method) of every method override the request carries, in order."""
    found = [(name, value) for name, value in headers if name.lower() in OVERRIDE_HEADERS]
    found += [(f"?{name}", value) for name, value in query if name.lower() in OVERRIDE_PARAMS]
    found += [(f"form {name}", value) for name, value in form if name.lower() in OVERRIDE_PARAMS]
    return [(where, value.strip().upper()) for where, value in found if value.strip()]


def effective_method(
    method: str,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> str:
    """The method a server that honours any override would apply (v1 honours the header)."""
    found = overrides(headers, query, form)
    return found[0][1] if found else method.upper()
