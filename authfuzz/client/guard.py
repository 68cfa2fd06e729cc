"""The client's safety rules: the one place that decides what a request could do.

- The production guard. Against a target marked ``production`` only requests that cannot
  change state even on a vulnerable server go out: GET, HEAD or OPTIONS, with no body and no
  method override of any kind ``authfuzz.travel`` lists (v1 turns ``GET`` +
  ``X-HTTP-Method-Override: DELETE`` into a delete; a middleware may do the same with
  ``?_method=DELETE``). The client calls ``check_request`` before every send, so no path can bypass it.
- Reach. A request that could, on a vulnerable server, change or destroy data that is not
  the run's own (a list-level delete, a method override to one, a nested write, a write to an
  object the run did not create, a new latest release) says so in ``could_touch_others``, with
  the resources it could touch. The client then has custody snapshot those resources before
  it and put them back after it, or, on a target with ``destructive = false``, refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from authfuzz.api_shapes import (
    OVERRIDE_HEADERS,
    OVERRIDE_PARAMS,
    api_resource,
    detail_target,
    list_resource,
)
from authfuzz.api_shapes import effective_method as _effective
from authfuzz.not_checked import NotApplicableError
from authfuzz.vocabulary import CASCADES, RESOURCES

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ProductionGuardError(RuntimeError):
    """A request that could change state was about to be sent to a production target."""


def could_change_state(
    method: str, header_names: Iterable[str], has_body: bool, param_names: Iterable[str] = ()
) -> str | None:
    """Why this request could change state on a vulnerable server, or None if it cannot.

    ``param_names`` are the query string's names: a ``_method`` there is an override too.
    Any value counts, even an empty or a safe one: a server may read it differently.
    """
    if method.upper() not in SAFE_METHODS:
        return f"method {method.upper()} can change state"
    overrides = sorted(n for n in header_names if n.lower() in OVERRIDE_HEADERS)
    if overrides:
        return f"header {overrides[0]} can turn a {method.upper()} into a write"
    params = sorted(n for n in param_names if n.lower() in OVERRIDE_PARAMS)
    if params:
        return f"query parameter {params[0]} can turn a {method.upper()} into a write"
    if has_body:
        return f"a {method.upper()} with a body can be treated as a write"
    return None


def check_request(
    target_name: str,
    is_production: bool,
    method: str,
    header_names: Iterable[str],
    has_body: bool,
    param_names: Iterable[str] = (),
) -> None:
    if not is_production:
        return
    reason = could_change_state(method, header_names, has_body, param_names)
    if reason is not None:
        raise ProductionGuardError(
            f"refused to send {method.upper()} to production target {target_name!r}: {reason}"
        )


class DestructiveRequestRefused(NotApplicableError):
    """A request that could reach data not the run's own, to a ``destructive = false`` target."""


@dataclass(frozen=True)
class Reach:
    """What a request could change beyond the run's own objects, and why."""

    reason: str
    resources: tuple[str, ...]  # the resources to snapshot and put back


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TRUE = (True, "true", "True", 1, "1")


def effective_method(
    method: str, headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]] = ()
) -> str:
    """The method a server that honours overrides would apply (v1 honours the header)."""
    return _effective(method, headers, query)


def could_touch_others(
    method: str,
    path: str,
    headers: Iterable[tuple[str, str]],
    body: Any,
    owns: Callable[[str, int], bool],
    query: Iterable[tuple[str, str]] = (),
    form: Iterable[tuple[str, str]] = (),
) -> Reach | None:
    """Why this request could reach data that is not the run's own, or None if it cannot.

    ``owns(resource, pk)`` says whether the run created that object.
    """
    headers = tuple(headers)
    verb = _effective(method, headers, query, form)
    if verb not in _WRITES:
        return None
    if path.rstrip("/").endswith("/release_file/delete_by_release"):
        return Reach("a bulk delete can reach every release file", ("release_file",))
    listed = list_resource(path)
    if listed is not None and verb != "POST":
        return Reach(
            f"a {verb} of the whole {listed} list can reach every {listed}", CASCADES[listed]
        )
    detail = detail_target(path)
    if detail is not None and not owns(*detail):
        resource, pk = detail
        return Reach(
            f"a {verb} of {resource} {pk}, which the run did not create", CASCADES[resource]
        )
    if isinstance(body, dict):
        nested = [r for r in ("os", "release") if isinstance(body.get(r), dict)]
        if nested:
            return Reach(f"a nested write can change an existing {nested[0]}", ("os", "release"))
        written = listed or (detail[0] if detail else None)
        if written == "release" and body.get("is_latest") in _TRUE:
            return Reach(
                "a release with is_latest set demotes the current latest one", ("release",)
            )
    if listed is None and detail is None and verb != method.upper():
        return Reach(
            f"a method override to {verb} on an unrecognised path",
            RESOURCES,
        )
    if listed is None and detail is None and path.startswith("/api/"):
        # set/, schema/, an action, a spelling no route should match: on a server that routes
        # it anyway, it could reach any object of its resource, and what a delete cascades to.
        under = api_resource(path)
        return Reach(
            f"a {verb} of a route the gate cannot place ({path})",
            CASCADES[under] if under else RESOURCES,
        )
    return None
