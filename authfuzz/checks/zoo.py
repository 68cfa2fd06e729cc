"""Objects of every provenance, for the object, body and URL dimensions to aim at.

The canaries are one provenance: made through v2 by the trusted principal a moment ago, with
every field the gate chose. A mistake can hold for other rows only: those v1 made (it records
no creator), those another staff principal made, legacy rows whose optional fields are empty,
a published release whose file holds the download button, and the rows that were there before
the run. Each is made once per process (``Zoo``), through the API and with the principal that
gives it its provenance, and removed at the end; the rows the run found are picked from the
whole state, never made and never the run's to remove.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from authfuzz.branches import Api
from authfuzz.client import ApiRequest, Purpose, send_write
from authfuzz.not_checked import NotApplicableError, NotChecked
from authfuzz.principals import Principal, Role
from authfuzz.state import ReadBackError, Reader, new_nonce
from authfuzz.vocabulary import REMOVAL_ORDER, RESOURCES, V1, unanswered_cause
from authfuzz.workbench import Workbench
from authfuzz.world import Entry, World, pk_from_uri

ZOO = "object zoo"
NOT_MADE = ("v2", "seeded")  # the canaries are the bench's; seeded rows are the target's
Key = tuple[str, int]


@dataclass
class Zoo:
    reader: Reader
    # provenance -> resource -> id of the object of that provenance
    objects: dict[str, dict[str, int]] = field(default_factory=dict)
    # provenance -> why it is missing here (a target without a second staff principal)
    missing: dict[str, str] = field(default_factory=dict)
    # resource -> slug of the row the run found: followed by slug, since custody puts a row a
    # defect deleted back with a new id
    seeded: dict[str, str] = field(default_factory=dict)

    def pk(self, provenance: str, resource: str, world: World) -> int:
        """The id of the object of ``provenance`` now; NotApplicableError when there is none."""
        if provenance in self.missing:
            raise NotApplicableError(self.missing[provenance])
        if provenance == "seeded" and resource in self.seeded:
            entry = world.table(resource).get(self.seeded[resource])
            if entry is None:
                raise NotApplicableError(f"the seeded {resource} {self.seeded[resource]!r} is gone")
            return entry.pk
        pk = self.objects.get(provenance, {}).get(resource)
        if pk is None:
            raise NotApplicableError(f"no {resource} of provenance {provenance} here")
        return pk

    def keys(self) -> list[Key]:
        """What the zoo made itself: not the canaries (the bench's), not the rows it found."""
        return [
            (r, pk)
            for p, made in self.objects.items()
            if p not in NOT_MADE
            for r, pk in made.items()
        ]

    def remove(self) -> None:
        """Releases first (they take their files), then the rest; never what it did not make."""
        made = self.keys()
        for resource in REMOVAL_ORDER:
            for r, pk in made:
                if r == resource:
                    with contextlib.suppress(Exception, NotChecked):
                        self.reader.delete(r, pk)


def zoo(bench: Workbench) -> Zoo:
    """The process's zoo, its ``v2`` provenance the canaries as they are now (the bench makes
    them again after a trial touched them)."""
    if bench.target.is_production:
        raise NotApplicableError("production target: no object is ever made")
    made = bench.kept(ZOO, lambda: _make(bench), Zoo.remove, Zoo.keys)
    canaries = bench.canaries()
    made.objects["v2"] = {r: canaries.pk(r) for r in RESOURCES}
    return made


def _make(bench: Workbench) -> Zoo:
    """One object of each provenance the engine's own canaries do not have."""
    made, nonce = Zoo(bench.reader), new_nonce()
    with bench.client.purpose.of(Purpose.CANARY):
        made.objects["v1"] = _through_v1(bench, nonce)
        made.objects["legacy"] = _legacy_rows(bench, nonce)
        made.objects["published"] = _button_holder(bench, nonce)
        other = _other_staff(bench)
        if other is None:
            made.missing["other-staff"] = "needs a second staff principal with a token"
        else:
            made.objects["other-staff"] = _theirs(bench, other, nonce)
    seeded = _seeded(bench.reader.world(), bench)
    if seeded:
        made.seeded = seeded
    else:
        made.missing["seeded"] = (
            "the target held no release, file or OS of its own when the run began"
        )
    return made


def _through_v1(bench: Workbench, nonce: str) -> dict[str, int]:
    """A release and its file made through v1 by the trusted principal: v1 records no creator."""
    prefix, os_pk = bench.target.url_prefix, bench.canaries().pk("os")
    release = _v1_create(
        bench,
        "release",
        {
            "name": f"authfuzz zoo v1 {nonce}",
            "slug": f"authfuzz-zoo-v1-{nonce}",
            "version": 3,
            "is_published": False,
            "show_on_download_page": False,
        },
    )
    url = f"{prefix}ftp/authfuzz/zoo-v1-{nonce}/file.tgz"
    file = _v1_create(
        bench,
        "release_file",
        {
            "name": f"authfuzz zoo v1 {nonce}",
            "slug": f"authfuzz-zoo-v1-file-{nonce}",
            "os": f"{V1}/os/{os_pk}/",
            "release": f"{V1}/release/{release}/",
            "url": url,
            "gpg_signature_file": f"{url}.asc",
        },
    )
    return {"release": release, "release_file": file}


def _legacy_rows(bench: Workbench, nonce: str) -> dict[str, int]:
    """A legacy row: a name and a slug, every optional field at its default."""
    prefix, os_pk = bench.target.url_prefix, bench.canaries().pk("os")
    legacy = _v1_create(
        bench,
        "release",
        {"name": f"authfuzz zoo legacy {nonce}", "slug": f"authfuzz-zoo-legacy-{nonce}"},
    )
    legacy_file = _v1_create(
        bench,
        "release_file",
        {
            "slug": f"authfuzz-zoo-legacy-file-{nonce}",
            "os": f"{V1}/os/{os_pk}/",
            "release": f"{V1}/release/{legacy}/",
            "url": f"{prefix}ftp/authfuzz/zoo-legacy-{nonce}/file.tgz",
        },
    )
    return {"release": legacy, "release_file": legacy_file}


def _button_holder(bench: Workbench, nonce: str) -> dict[str, int]:
    """A published release (off the download page) whose file holds the download button."""
    reader, prefix = bench.reader, bench.target.url_prefix
    published = reader.create(
        "release",
        {
            "name": f"authfuzz zoo published {nonce}",
            "slug": f"authfuzz-zoo-published-{nonce}",
            "version": 3,
            "is_published": True,
            "show_on_download_page": False,
        },
    )
    holder_url = f"{prefix}ftp/authfuzz/zoo-published-{nonce}/installer.exe"
    holder = reader.create(
        "release_file",
        {
            "name": f"authfuzz zoo button {nonce}",
            "slug": f"authfuzz-zoo-button-{nonce}",
            "os": reader.url("os", bench.canaries().pk("os")),
            "release": published["resource_uri"],
            "url": holder_url,
            "gpg_signature_file": f"{holder_url}.asc",
            "download_button": True,
        },
    )
    return {
        "release": pk_from_uri(published["resource_uri"]),
        "release_file": pk_from_uri(holder["resource_uri"]),
    }


def _other_staff(bench: Workbench) -> Principal | None:
    staff = bench.target.principals.with_role(Role.STAFF)
    return next((p for p in staff if p.name != bench.trusted.name and p.token), None)


def _theirs(bench: Workbench, other: Principal, nonce: str) -> dict[str, int]:
    """A release made by another staff principal, through v2."""
    theirs = Reader(bench.client, other).create(
        "release",
        {
            "name": f"authfuzz zoo other {nonce}",
            "slug": f"authfuzz-zoo-other-{nonce}",
            "version": 3,
            "is_published": False,
            "show_on_download_page": False,
        },
    )
    return {"release": pk_from_uri(theirs["resource_uri"])}


def _v1_create(bench: Workbench, resource: str, body: dict[str, Any]) -> int:
    """Create through v1 as the trusted principal; its id, found by slug."""
    request = ApiRequest(
        "POST", f"{V1}/{resource}/", headers=bench.staff_auth(Api.V1), json_body=body
    )
    found: list[dict[str, Any]] = []

    def took_effect() -> bool:
        found[:] = bench.reader.find(resource, slug=str(body["slug"]))
        return bool(found)

    # A lost answer or a busy front end (5xx, a short 429) is re-sent once the read shows
    # nothing was made, as every write of the run is (``send_write``).
    response = send_write(bench.client, request, took_effect)
    if not found:
        took_effect()
    if not found and response.fault is not None:
        raise NotChecked(
            f"the trusted principal's v1 create of {resource} got no answer ({response.fault})",
            unanswered_cause(response.status),
        )
    if not found:
        raise ReadBackError(
            f"the trusted principal could not create {resource} {body['slug']!r} through v1 "
            f"(status {response.status}: {bench.client.redact(response.text[:200])})"
        )
    return pk_from_uri(found[0]["resource_uri"])


def _seeded(world: World, bench: Workbench) -> dict[str, str]:
    """Rows the run did not make: the latest published release, a file of a published
    release, and an OS with files, as the whole state shows them."""
    ledger = bench.client.ledger

    def foreign(entry: Entry) -> bool:
        return not ledger.owns(
            entry.resource, entry.pk, entry.slug, str(entry.fields.get("name", ""))
        )

    releases = [
        e for e in world.table("release").values() if foreign(e) and e.fields.get("is_published")
    ]
    releases.sort(key=lambda e: (not e.fields.get("is_latest"), e.pk))
    published = {e.pk for e in releases}
    files = [
        e
        for e in world.table("release_file").values()
        if foreign(e) and e.refs.get("release") in published
    ]
    oses = [e for e in world.table("os").values() if foreign(e)]
    seeded: dict[str, str] = {}
    if releases:
        seeded["release"] = releases[0].slug
    if files:
        seeded["release_file"] = files[0].slug
    if oses:
        seeded["os"] = oses[0].slug
    return seeded
