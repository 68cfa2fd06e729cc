"""A route-surface cell: a method on a spelling of a path nobody documented.

Sent as a valid non-staff user (authenticated, not allowed to write: any change is a
``no-unauthenticated-write``) or, where no one may write at HEAD, as trusted staff (any change
is a ``no-undocumented-write``), aimed at the bench's canaries with a valid body
(``authfuzz.surface.requests``), so only the route and the credential can explain a refusal.
What a cell creates is named after its shot (``authfuzz <token>``), so the whole-state read
shows it like any change.

Read-only cells are also judged on their answer: a non-staff GET or HEAD that shows the run's
unpublished canary release, or a v2 OPTIONS that offers it write actions, means the server took
the caller for staff. ``RouteProbe`` asks only that, at a real unpublished release: it is the
route surface a production target receives.
"""

from __future__ import annotations

from dataclasses import dataclass

from authfuzz.branches import Api
from authfuzz.client import ApiRequest
from authfuzz.engine.trial import AnswerCheck, Shot
from authfuzz.not_checked import NotApplicableError
from authfuzz.oracles import identity_probe, no_unauthenticated_write, no_undocumented_write
from authfuzz.principals import Principal, Role
from authfuzz.state import new_nonce
from authfuzz.surface.requests import route_request
from authfuzz.surface.table import Caller, RouteCell, Scope
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri

_ORDER = {"GET": 1, "HEAD": 1, "OPTIONS": 1, "POST": 2, "PUT": 3, "PATCH": 4, "DELETE": 5}


def order(cell: RouteCell) -> int:
    """Reads first, then creates, updates, deletes: a delete cannot hide an earlier cell's
    write to a canary. A delete of the missing id goes first of all: after a PUT there created
    it, it would remove the very evidence of that PUT."""
    if cell.method == "DELETE" and cell.scope is Scope.MISSING:
        return 0
    return _ORDER[cell.method]


def caller_principal(bench: Workbench, caller: Caller) -> Principal:
    """Who presents ``caller``; NotApplicableError when the target has no such principal."""
    if caller is Caller.STAFF:
        return bench.trusted
    users = [p for p in bench.target.principals.with_role(Role.USER) if p.api_key and p.token]
    if not users:
        raise NotApplicableError(
            'needs a non-staff principal with an api_key and a token (role = "user")'
        )
    return users[0]


def _labels(cell: RouteCell, caller: Caller) -> tuple[str, ...]:
    return (f"route:{cell.scope.value}", f"variant:{cell.variant.value}", f"caller:{caller.value}")


def _answer(cell: RouteCell, caller: Caller, slug: str) -> AnswerCheck | None:
    if caller is not Caller.USER or cell.resource != "release" or cell.is_write:
        return None
    rule = identity_probe.route_answer(
        cell.method, cell.scope is Scope.DETAIL, cell.api is Api.V2, slug
    )
    return AnswerCheck("identity-probe", rule)


@dataclass(frozen=True)
class RouteCellTrial:
    cell: RouteCell
    caller: Caller

    @property
    def key(self) -> str:
        return f"{self.caller.value} {self.cell.label}"

    def shoot(self, bench: Workbench) -> Shot:
        if bench.target.is_production:
            raise NotApplicableError("production target: route cells are sent as writes")
        cell, caller = self.cell, self.caller
        canaries = bench.canaries()
        auth = bench.staff_auth(cell.api, caller_principal(bench, caller))
        request = route_request(
            cell, canaries, new_nonce(), 0, auth, bench.target.url_prefix, bench.client.base_url
        )
        invariant = (
            no_unauthenticated_write.INVARIANT
            if caller is Caller.USER
            else no_undocumented_write.INVARIANT
        )
        aim = (
            frozenset({(cell.resource, canaries.pk(cell.resource))})
            if cell.scope is Scope.DETAIL
            else frozenset()
        )
        return Shot(
            request,
            invariant,
            f"route:{cell.variant.value}",
            f"{cell.method} {cell.variant.spell(cell.template)}",
            labels=_labels(cell, caller),
            answer=_answer(cell, caller, str(canaries.release["slug"])),
            order=order(cell),
            aim=aim,
        )


@dataclass(frozen=True)
class RouteProbe:
    """A read-only release cell at a real unpublished release (production has no canary)."""

    cell: RouteCell

    @property
    def key(self) -> str:
        return f"probe {self.cell.label}"

    def shoot(self, bench: Workbench) -> Shot:
        cell = self.cell
        if cell.is_write or cell.resource != "release":
            raise ValueError(f"{cell.label} is not a read-only release cell")
        draft = bench.draft_release()
        if draft is None:
            raise NotApplicableError("the target has no unpublished release to probe with")
        pk = pk_from_uri(str(draft["resource_uri"]))
        auth = bench.staff_auth(cell.api, caller_principal(bench, Caller.USER))
        return Shot(
            ApiRequest(cell.method, cell.path(pk), headers=auth),
            no_unauthenticated_write.INVARIANT,
            f"route:{cell.variant.value}",
            f"{cell.method} {cell.variant.spell(cell.template)}",
            labels=_labels(cell, Caller.USER),
            answer=_answer(cell, Caller.USER, str(draft["slug"])),
            aim=frozenset({("release", pk)}),
        )
