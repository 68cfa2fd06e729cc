"""Which object or list a request path names, on either API."""

from __future__ import annotations

import re

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
