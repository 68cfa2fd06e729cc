"""What a request's path and headers mean on this API: which list or object a path names,
and which method a server that honours overrides would apply (``authfuzz.travel`` lists them).

Plain facts, used by the client's guard, custody's ledger and the throttle buckets alike; kept
out of the client package so that those can use them without importing the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from authfuzz.travel import OVERRIDE_HEADERS, OVERRIDE_PARAMS
from authfuzz.vocabulary import RESOURCE_PATTERN

__all__ = [
    "OVERRIDE_HEADERS",
    "OVERRIDE_PARAMS",
    "api_resource",
    "canonical_path",
    "detail_target",
    "list_resource",
    "overrides",
]

_LIST_PATH = re.compile(rf"^/api/(?:v1|v2)/downloads/({RESOURCE_PATTERN})/$")
_DETAIL_PATH = re.compile(rf"^/api/(?:v1|v2)/downloads/({RESOURCE_PATTERN})/(\d+)/$")
_UNDER_RESOURCE = re.compile(rf"^/api/(?:v1|v2)/downloads/({RESOURCE_PATTERN})/")


def canonical_path(path: str) -> str:
    """``path`` as the view it could reach would see it: ``%2F`` decoded, ``//`` collapsed,
    lower case, a DRF format suffix (``.json``, ``.api``) dropped, the trailing slash added.

    Conservative on purpose: a server may route a spelling HEAD refuses (that is what the
    route surface looks for), so the guard and the ledger treat every spelling of a path as
    the path itself.
    """
    path = re.sub(r"%2[fF]", "/", path)
    path = re.sub(r"/{2,}", "/", path).lower()
    path = re.sub(r"\.(?:json|api)/?$", "", path)
    return path if path.endswith("/") else path + "/"


def list_resource(path: str) -> str | None:
    """The resource whose list ``path`` is (``/api/v1/downloads/os/`` -> ``os``), or None."""
    match = _LIST_PATH.match(canonical_path(path))
    return match.group(1) if match else None


def detail_target(path: str) -> tuple[str, int] | None:
    """The (resource, id) whose detail ``path`` is, or None."""
    match = _DETAIL_PATH.match(canonical_path(path))
    return (match.group(1), int(match.group(2))) if match else None


def api_resource(path: str) -> str | None:
    """The resource any route under it names (``.../os/set/1;2/`` -> ``os``), or None."""
    match = _UNDER_RESOURCE.match(canonical_path(path))
    return match.group(1) if match else None


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
