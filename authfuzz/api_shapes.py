"""What a request's path and headers mean on this API: which list or object a path names,
and which headers carry a method override (v1 honours them).

Plain facts, used by the client's guard, custody's ledger and the throttle buckets alike; kept
out of the client package so that those can use them without importing the client.
"""

from __future__ import annotations

import re

OVERRIDE_HEADERS = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})
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
