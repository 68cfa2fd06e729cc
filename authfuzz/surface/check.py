"""Send route cells in batches and judge each by reading state back.

A batch is one caller's cells of one API: every request is sent, then the whole target is read
again (one list per resource, the snapshot custody's protector takes anyway around requests
that could reach others' data), and the batch passes when none of the run's canaries changed,
nothing named after the batch's token appeared, and nothing of anyone else's had to be put
back. That is six reads for dozens of cells instead of a read-back per cell, which is what
keeps the route surface inside one staff token's daily budget.

A batch that changed something is split in halves and each half is run again from fresh
canaries (group testing), down to the single cells that write: only those are findings, each
with its own request and curl line. Requests go out reads first, then creates, updates and
deletes, so a delete early in a batch cannot hide a later cell's write; and every cell of a
batch that changed is re-run in a smaller one anyway. The halving is bounded (``MAX_BATCHES``);
past it, a group that still changes state is reported as one finding naming its cells.

Read-only cells are also judged on their answer: a non-staff GET or HEAD that shows the
run's unpublished canary release, or a v2 OPTIONS that offers it write actions, means the
server took the caller for staff (the identity-probe oracle).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, ApiResponse, Purpose
from authfuzz.client.guard import Reach
from authfuzz.custody.digest import Digest
from authfuzz.exchange_findings import finding_from
from authfuzz.findings import Finding
from authfuzz.not_checked import Cause, NotApplicableError, NotChecked
from authfuzz.oracles import Outcome, Verdict, no_unauthenticated_write, no_undocumented_write
from authfuzz.principals import Principal, Role
from authfuzz.state import CanarySet, new_nonce
from authfuzz.surface.requests import route_request
from authfuzz.surface.table import RESOURCES, Caller, RouteCell, Scope
from authfuzz.workbench import Workbench

MAX_BATCHES = 48  # per check: halving stops here (only a badly broken build gets near it)
_ORDER = {"GET": 0, "HEAD": 0, "OPTIONS": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


def _order(cell: RouteCell) -> int:
    """Reads first, then creates, updates, deletes: a delete cannot hide an earlier cell's
    write to a canary. A delete of the missing id goes first of all: after a PUT there created
    it, it would remove the very evidence of that PUT."""
    if cell.method == "DELETE" and cell.scope is Scope.MISSING:
        return 0
    return _ORDER[cell.method]


_REACH = Reach("a batch of route-surface cells can reach every object", RESOURCES)


@dataclass
class _Sent:
    cell: RouteCell
    request: ApiRequest
    response: ApiResponse


@dataclass
class _Batch:
    sent: list[_Sent]
    changed: list[str]  # what the read-back shows changed; empty: nothing
    created: list[tuple[str, int]]  # (resource, pk) of what the batch's cells created


@dataclass
class RouteChecker:
    """One check's cells: the verdict of each, after as many batches as it took."""

    workbench: Workbench
    caller: Caller
    verdicts: dict[RouteCell, Verdict] = field(default_factory=dict)
    batches: int = 0

    def run(self, cells: Sequence[RouteCell]) -> dict[RouteCell, Verdict]:
        if self.workbench.target.is_production:
            raise NotApplicableError("production target: route cells are sent as writes")
        ordered = sorted(cells, key=lambda c: (_order(c), c.sort_key()))
        if not self.workbench.target.destructive:
            ordered = [c for c in ordered if not self._refused(c)]
        if ordered:
            self._settle(ordered)
        return self.verdicts

    def _refused(self, cell: RouteCell) -> bool:
        """On a ``destructive = false`` target a cell the guard says could reach others' data
        is not sent (the client would refuse it): skipped, with the guard's reason."""
        wb = self.workbench
        request = route_request(
            cell, wb.canaries(), "dry", 0, self._auth(cell.api), wb.target.url_prefix, ""
        )
        if wb.client.reach_of(request) is None:
            return False
        self.verdicts[cell] = Verdict.inconclusive(
            "destructive = false: on a vulnerable server it could reach others' data"
        )
        return True

    # -- group testing ---------------------------------------------------------------------

    def _settle(self, cells: list[RouteCell]) -> None:
        batch = self._send(cells)
        unanswered = [s for s in batch.sent if s.response.fault is not None]
        for sent in batch.sent:
            if sent.response.fault is None:
                self._judge_answer(sent)
        if not batch.changed:
            for sent in batch.sent:
                if sent.response.fault is None:
                    self.verdicts.setdefault(sent.cell, Verdict.passed())
            if unanswered:
                self._retry_unanswered(unanswered)
            return
        self._put_back(batch)
        if len(cells) == 1:
            self.verdicts[cells[0]] = self._write_finding(batch.sent[0], batch.changed)
            return
        if self.batches >= MAX_BATCHES:
            self._group_finding(batch, cells)
            return
        half = len(cells) // 2
        self._settle(cells[:half])
        self._settle(cells[half:])

    def _retry_unanswered(self, unanswered: list[_Sent]) -> None:
        """A write whose answer was lost, in a batch that changed nothing: the server may never
        have seen it. Once more, in a batch of its own kind; a second loss is not checked."""
        again = self._send([s.cell for s in unanswered])
        if again.changed:  # it did reach the server this time: settle it the usual way
            self._put_back(again)
            if len(again.sent) == 1:
                self.verdicts[again.sent[0].cell] = self._write_finding(
                    again.sent[0], again.changed
                )
            else:
                self._group_finding(again, [s.cell for s in again.sent])
            return
        for sent in again.sent:
            if sent.response.fault is None:
                self._judge_answer(sent)
                self.verdicts.setdefault(sent.cell, Verdict.passed())
            else:
                self.verdicts[sent.cell] = Verdict.not_checked(
                    f"no answer twice ({sent.response.fault}), and nothing changed",
                    Cause.FAULT,
                )

    # -- one batch ---------------------------------------------------------------------------

    def _send(self, cells: Sequence[RouteCell]) -> _Batch:
        self.batches += 1
        wb = self.workbench
        canaries = wb.canaries()
        token = new_nonce()
        sent: list[_Sent] = []
        with _guarded(wb) as watch, wb.client.purpose.of(Purpose.ATTEMPT):
            for index, cell in enumerate(cells):
                request = route_request(
                    cell,
                    canaries,
                    token,
                    index,
                    self._auth(cell.api),
                    wb.target.url_prefix,
                    wb.client.base_url,
                )
                sent.append(_Sent(cell, request, wb.client.send(request)))
        changed, created = _changes(watch, canaries, token)
        return _Batch(sent, changed, created)

    def _put_back(self, batch: _Batch) -> None:
        """Fresh canaries for the next batch (the old ones go, whatever a cell did to them),
        and whatever a cell created removed."""
        wb = self.workbench
        with wb.client.purpose.of(Purpose.CLEAN_UP):
            for resource, pk in batch.created:
                with contextlib.suppress(Exception, NotChecked):
                    wb.reader.delete(resource, pk)
        wb.reset_canaries()

    # -- verdicts ----------------------------------------------------------------------------

    def _judge_answer(self, sent: _Sent, slug: str | None = None) -> None:
        """The identity evidence in a read-only answer (write cells are judged by read-back):
        ``slug`` is the unpublished release's (by default the canary's)."""
        cell, response = sent.cell, sent.response
        if self.caller is not Caller.USER or cell.resource != "release" or cell.is_write:
            return
        slug = slug or str(self.workbench.canaries().release["slug"])
        evidence = ""
        if cell.method == "GET" and 200 <= response.status < 300 and slug in response.text:
            evidence = f"answered {response.status} with the unpublished release {slug!r}"
        elif cell.method == "HEAD" and cell.scope is Scope.DETAIL and response.status == 200:
            evidence = "answered 200 for the unpublished release (a non-staff caller gets 404/401)"
        elif cell.method == "OPTIONS" and cell.api is Api.V2 and _offers_writes(response):
            evidence = "offered write actions (PUT/POST) to a non-staff caller"
        if evidence:
            self.verdicts[cell] = Verdict(
                Outcome.FINDING,
                self._finding(
                    no_unauthenticated_write.INVARIANT,
                    "identity-probe",
                    sent,
                    "the server treated a non-staff credential as staff on an undocumented route",
                    evidence,
                ),
            )

    def _write_finding(self, sent: _Sent, changed: list[str]) -> Verdict:
        who = "a non-staff credential" if self.caller is Caller.USER else "trusted staff"
        summary = (
            f"{who} changed state through an undocumented route (status {sent.response.status})"
        )
        return Verdict(
            Outcome.FINDING,
            self._finding(self._invariant, "read-back", sent, summary, "; ".join(changed)),
        )

    def _group_finding(self, batch: _Batch, cells: list[RouteCell]) -> None:
        names = ", ".join(c.label for c in cells[:6]) + (" ..." if len(cells) > 6 else "")
        finding = self._finding(
            self._invariant,
            "read-back",
            batch.sent[0],
            f"one of {len(cells)} undocumented route cells changed state (not narrowed "
            f"further: {MAX_BATCHES} batches spent)",
            f"{'; '.join(batch.changed)}; cells: {names}",
        )
        for cell in cells:
            self.verdicts[cell] = Verdict(Outcome.FINDING, finding)

    @property
    def _invariant(self) -> str:
        if self.caller is Caller.USER:
            return no_unauthenticated_write.INVARIANT
        return no_undocumented_write.INVARIANT

    def _finding(
        self, invariant: str, oracle: str, sent: _Sent, summary: str, evidence: str
    ) -> Finding:
        cell = sent.cell
        return finding_from(
            self.workbench.client,
            sent.request,
            sent.response,
            invariant=invariant,
            oracle=oracle,
            branch=f"route:{cell.variant.value}",
            operation=f"{cell.method} {cell.variant.spell(cell.template)}",
            summary=summary,
            evidence=evidence,
            labels=(
                f"route:{cell.scope.value}",
                f"variant:{cell.variant.value}",
                f"caller:{self.caller.value}",
            ),
        )

    def _auth(self, api: Api) -> tuple[tuple[str, str], ...]:
        principal = self._principal()
        if api is Api.V1:
            return (("Authorization", f"ApiKey {principal.username}:{principal.api_key}"),)
        return (("Authorization", f"Token {principal.token}"),)

    def _principal(self) -> Principal:
        principals = self.workbench.target.principals
        if self.caller is Caller.STAFF:
            trusted = principals.trusted()
            assert trusted is not None  # the workbench refuses a target without one
            return trusted
        users = [p for p in principals.with_role(Role.USER) if p.api_key and p.token]
        if not users:
            raise NotApplicableError(
                'needs a non-staff principal with an api_key and a token (role = "user")'
            )
        return users[0]


def caller_unavailable(workbench: Workbench, caller: Caller) -> str | None:
    """Why ``caller`` cannot be presented on this target, or None."""
    try:
        RouteChecker(workbench, caller)._principal()
    except NotApplicableError as error:
        return str(error)
    return None


# -- reading state back -----------------------------------------------------------------------


@dataclass
class _Watch:
    before: Digest | None = None
    after: Digest | None = None
    restored: int = 0
    problem: str = ""


@contextlib.contextmanager
def _guarded(wb: Workbench) -> Iterator[_Watch]:
    """The whole batch inside one snapshot of everything it could reach: custody's protector
    when it runs (it also puts back what a cell deleted of others'), else plain reads."""
    watch = _Watch()
    protector = wb.client.protector
    if protector is None:
        watch.before = Digest.read(wb.reader, RESOURCES)
        yield watch
        watch.after = Digest.read(wb.reader, RESOURCES)
        return
    with protector.around(_REACH) as snapshot:
        yield watch
    if snapshot is None:  # an enclosing snapshot already covers it: read for ourselves
        watch.after = Digest.read(wb.reader, RESOURCES)
        return
    watch.before, watch.after, watch.restored = snapshot.before, snapshot.after, snapshot.restored
    if snapshot.after is None:
        watch.problem = "the objects could not be read after the batch"


def _changes(
    watch: _Watch, canaries: CanarySet, token: str
) -> tuple[list[str], list[tuple[str, int]]]:
    """What the batch changed of the run's canaries, what it created, what it took of others'."""
    if watch.after is None or watch.before is None:
        raise NotChecked(watch.problem or "the read-back after a route batch failed", Cause.FAULT)
    changed: list[str] = []
    created: list[tuple[str, int]] = []
    for resource in RESOURCES:
        slug = canaries.object(resource)["slug"]
        was = watch.before.entries.get(resource, {}).get(slug)
        now = watch.after.entries.get(resource, {}).get(slug)
        if now is None:
            changed.append(f"the canary {resource} {slug!r} was deleted")
        elif was is not None and was.fields != now.fields:
            fields = sorted(k for k in now.fields if now.fields.get(k) != was.fields.get(k))
            changed.append(f"the canary {resource} {slug!r} changed ({', '.join(fields)})")
        marker = f"authfuzz {token}"
        existed = watch.before.entries.get(resource, {})
        for entry in watch.after.entries.get(resource, {}).values():
            if entry.slug in existed:  # a canary renamed, not a creation
                continue
            if entry.fields.get("name") == marker or entry.slug.startswith(
                f"authfuzz-route-{token}-"
            ):
                changed.append(f"{resource} {entry.slug!r} (id {entry.pk}) was created")
                created.append((resource, entry.pk))
    if watch.restored:
        changed.append(f"{watch.restored} object(s) of others changed and had to be put back")
    return changed, created


def _offers_writes(response: ApiResponse) -> bool:
    try:
        data: Any = response.json()
    except ValueError:
        return False
    return isinstance(data, dict) and bool(data.get("actions"))


def check_read_only(workbench: Workbench, cells: Sequence[RouteCell]) -> dict[RouteCell, Verdict]:
    """Read-only cells of the release resource, sent as the non-staff caller at a real
    unpublished release (not a canary: production has none): any answer that shows it, or
    offers write actions, is a finding. Nothing here could change state on any server."""
    draft = workbench.draft_release()
    if draft is None:
        raise NotApplicableError("the target has no unpublished release to probe with")
    checker = RouteChecker(workbench, Caller.USER)
    pk = int(str(draft["resource_uri"]).rstrip("/").rsplit("/", 1)[-1])
    verdicts: dict[RouteCell, Verdict] = {}
    with workbench.client.purpose.of(Purpose.PROBE):
        for cell in cells:
            if cell.is_write or cell.resource != "release":
                raise ValueError(f"{cell.label} is not a read-only release cell")
            request = ApiRequest(cell.method, cell.path(pk), headers=checker._auth(cell.api))
            response = workbench.client.send(request)
            if response.fault is not None:
                verdicts[cell] = Verdict.not_checked(response.fault, Cause.FAULT)
                continue
            checker._judge_answer(_Sent(cell, request, response), str(draft["slug"]))
            verdicts[cell] = checker.verdicts.get(cell, Verdict.passed())
    return verdicts
