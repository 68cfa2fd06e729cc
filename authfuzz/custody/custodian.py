"""A run's custody of one target: how it was at the start, and what is done at the end.

``begin`` reads the whole target (the digest) before the run's first write. ``finish`` merges
the ledgers of every process of the run, reads the target again, removes what the run left
behind, puts back what a defect let it delete or change, and reads once more to say whether
the target is as it was: ``StateReport``, which the end screen and ``findings.json`` show.
A production run writes nothing, so its two digests only confirm that.

The process that does this is the one that owns the target for the run: each process that
starts an embedded testbed for itself, and the controlling process for a shared target (under
pytest-xdist the workers only keep their journals and their protectors' logs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authfuzz.client import Client
from authfuzz.client.faults import TargetUnreachableError
from authfuzz.custody.ledger import Ledger
from authfuzz.custody.reconcile import Reconciliation, reconcile
from authfuzz.not_checked import NotChecked
from authfuzz.principals import Principals
from authfuzz.state import ReadBackError, Reader
from authfuzz.targets import Target
from authfuzz.vocabulary import RESOURCES
from authfuzz.world import World

MAX_LISTED = 20
START_DIGEST = "start-digest.json"  # beside the journals, for ``authfuzz clean``


@dataclass
class StateReport:
    """What a run did to the target's data, for people and for ``findings.json``."""

    checked: bool = False  # both digests were read
    unchanged: bool = False  # the last digest equals the first (ids of recreated objects aside)
    start_objects: int = 0
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # could not be cleaned, and why
    foreign: list[str] = field(default_factory=list)  # appeared, not the run's: left alone
    note: str = ""  # why it could not be checked
    route: str = ""  # how clean-up went, when not by the trusted principal's own bucket

    def line(self) -> str:
        """The end screen's ``target state`` line."""
        if not self.checked:
            return f"NOT CHECKED: {self.note or 'the target was not read at the end'}"
        if self.unchanged and not self.restored:
            extra = (
                f"; the run's own {len(self.removed)} leftover object(s) removed at the end"
                if self.removed
                else ""
            )
            return f"unchanged ({self.start_objects} objects read before and after){extra}"
        if self.unchanged:
            return (
                f"unchanged, after {len(self.restored)} restoration(s) of what a defect deleted "
                "or changed (listed below)"
            )
        return f"NOT as found: {len(self.left)} difference(s) could not be undone (listed below)"

    def details(self) -> list[str]:
        lines = [f"route     {self.route}"] if self.route else []
        lines += [f"restored  {item}" for item in self.restored[:MAX_LISTED]]
        lines += [f"LEFT      {item}" for item in self.left[:MAX_LISTED]]
        lines += [f"foreign   {item} (not the run's: left alone)" for item in self.foreign[:5]]
        hidden = max(0, len(self.restored) - MAX_LISTED) + max(0, len(self.left) - MAX_LISTED)
        if hidden:
            lines.append(f"... and {hidden} more in findings.json")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "unchanged": self.unchanged,
            "start_objects": self.start_objects,
            "removed": len(self.removed),
            "restored": list(self.restored),
            "not_cleaned": list(self.left),
            "foreign": list(self.foreign),
            "note": self.note,
            "route": self.route,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StateReport:
        return cls(
            checked=bool(data.get("checked")),
            unchanged=bool(data.get("unchanged")),
            start_objects=int(data.get("start_objects", 0)),
            removed=["?"] * int(data.get("removed", 0)),
            restored=list(data.get("restored", [])),
            left=list(data.get("not_cleaned", [])),
            foreign=list(data.get("foreign", [])),
            note=str(data.get("note", "")),
            route=str(data.get("route", "")),
        )

    def absorb(self, log: Reconciliation) -> None:
        """Add what the protectors put back during the run (and what they could not)."""
        self.restored = log.restored + self.restored
        self.left = log.failed + self.left

    @classmethod
    def merged(cls, reports: list[StateReport]) -> StateReport:
        """One report for several testbeds (one per xdist worker): unchanged only if all are."""
        if not reports:
            return cls(note="no process read the target")
        return cls(
            checked=all(r.checked for r in reports),
            unchanged=all(r.unchanged for r in reports),
            start_objects=sum(r.start_objects for r in reports),
            removed=[item for r in reports for item in r.removed],
            restored=[item for r in reports for item in r.restored],
            left=[item for r in reports for item in r.left],
            foreign=[item for r in reports for item in r.foreign],
            note="; ".join(r.note for r in reports if r.note),
            route="; ".join(r.route for r in reports if r.route),
        )


@dataclass
class Custodian:
    reader: Reader  # custody's own (``custody=True``)
    ledger: Ledger
    journals: Path | None = None  # where the run's processes keep their ledgers
    start: World | None = None
    # Other routes, counted in other throttle buckets: how clean-up still goes when the
    # primary route's buckets are throttled (another client spent them).
    spare: tuple[Reader, ...] = ()

    def _read(self, reader: Reader | None = None) -> World:
        reader = reader or self.reader
        reader.forget()  # custody reads the target itself, whatever it knew before
        return reader.world()

    def begin(self) -> None:
        self.reader.check_writer()
        self.start = self._read()
        self.ledger.found((e.resource, e.pk, e.slug) for e in self.start.objects())
        if self.journals is not None:
            self.start.save(self.journals / START_DIGEST)

    def finish(self, during: Reconciliation | None = None) -> StateReport:
        """Remove the run's leftovers, put back what it may not have changed, read again.

        A run never leaves its objects behind while a bucket could still remove them: if the
        trusted principal's bucket is throttled, the whole settling goes again through the
        spare principal, and the report says by which route."""
        report = self._settle(self.reader, during)
        closed = [_route_name(self.reader)]
        for route in self.spare:
            if not _throttled(report):
                break
            report = self._settle(route, during)
            report.route = (
                f"clean-up went by staff principal {route.trusted.name!r}: the throttle "
                f"bucket of {' and then '.join(closed)} was closed"
            )
            closed.append(_route_name(route))
        return report

    def _settle(self, reader: Reader, during: Reconciliation | None) -> StateReport:
        report = StateReport()
        if during is not None:
            report.absorb(during)
        if self.start is None:
            report.note = "the target was not read at the start"
            return report
        report.start_objects = self.start.count()
        if self.journals is not None:
            self.ledger.merge_journals(self.journals)
        try:
            end = self._read(reader)
            work = reconcile(
                reader, self.start, end, self.ledger, remove_ours=True, start=self.start
            )
            final = self._read(reader) if work.acted else end
        except (ReadBackError, NotChecked, TargetUnreachableError) as error:
            report.note = f"the target could not be read at the end: {error}"
            return report
        report.checked = True
        report.removed = work.removed
        report.restored += work.restored
        report.foreign = work.foreign
        report.left += work.failed + differences(self.start, final, self.ledger)
        report.unchanged = not differences(self.start, final, self.ledger)
        return report


def fallback_routes(client: Client, principals: Principals, primary: Reader) -> tuple[Reader, ...]:
    """Custody's other ways to settle the target when ``primary``'s buckets are throttled:
    each staff principal with a token, reading and writing with its own, in turn (each is
    counted in its own daily bucket)."""
    routes = []
    for principal in principals:
        if not (principal.can_write and principal.token):
            continue
        if principal.name == primary.trusted.name == primary.reading.name:
            continue  # the primary route itself
        routes.append(Reader(client, principal, custody=True))
    # Another principal's own route first: the primary's trusted bucket is the likelier closed.
    routes.sort(key=lambda r: r.trusted.name == primary.trusted.name)
    return tuple(routes)


def custody_reader(client: Client, principals: Principals) -> Reader:
    """Custody's primary route: writes as the trusted principal, reads as ``Principals.reader``."""
    trusted = principals.trusted()
    if trusted is None:
        raise ReadBackError("custody needs a staff principal with a token to read state back")
    return Reader(client, trusted, custody=True, reads_as=principals.reader())


def _route_name(reader: Reader) -> str:
    if reader.reading.name == reader.trusted.name:
        return repr(reader.trusted.name)
    return f"{reader.trusted.name!r} (reading as {reader.reading.name!r})"


def _throttled(report: StateReport) -> bool:
    """Settling stopped by a closed throttle bucket (not by anything another route fixes)."""
    reasons = [report.note] if not report.checked else report.left
    return any("throttled" in reason for reason in reasons)


def differences(
    before: World, after: World, ledger: Ledger, *, include_foreign: bool = False
) -> list[str]:
    """How ``after`` differs from ``before``, object by object (the run's leftovers included)."""
    out = []
    for resource in RESOURCES:
        was, now = before.table(resource), after.table(resource)
        for slug, entry in was.items():
            if slug not in now:
                out.append(f"{entry.describe()} is gone")
            elif now[slug].fields != entry.fields:
                changed = sorted(k for k, v in entry.fields.items() if now[slug].fields.get(k) != v)
                out.append(f"{entry.describe()} differs in {', '.join(changed)}")
        for slug, entry in now.items():
            if slug in was:
                continue
            name = str(entry.fields.get("name", ""))
            if ledger.owns(resource, entry.pk, entry.slug, name):
                out.append(f"{entry.describe()}, made by the run, is still there")
            elif include_foreign:
                out.append(f"{entry.describe()} appeared during the run")
    return out


@dataclass
class SharedCustody:
    """Custody of a shared target (not an embedded testbed), held by the controlling process.

    It has a client of its own: under pytest-xdist the workers' clients live in other
    processes, and it must read the target before any of them writes and after all are done.
    """

    client: Client
    custodian: Custodian

    @classmethod
    def open(cls, target: Target, journals: Path | None) -> SharedCustody:
        trusted = target.principals.trusted()
        if trusted is None or not trusted.token:
            raise ReadBackError(
                f"target {target.name!r} needs a staff principal with a token to read state back"
            )
        client = Client(target)
        client.ensure_reachable(custody=True)
        primary = custody_reader(client, target.principals)
        custodian = Custodian(
            primary,
            client.ledger,
            journals,
            spare=fallback_routes(client, target.principals, primary),
        )
        custodian.begin()
        return cls(client, custodian)

    def close(self, during: Reconciliation) -> StateReport:
        try:
            return self.custodian.finish(during)
        finally:
            self.client.close()
