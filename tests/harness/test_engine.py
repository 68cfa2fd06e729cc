"""The check engine on a real testbed: bisection, the whole-state oracle, confirmation alone.

Every test starts a testbed of its own and drives the engine as the suites do. A *writer* is a
trial that says it may change nothing but sends the trusted principal's valid write: the one
request of its batch that really writes. The four switches of issue 18 (written blind, from the
testbed and the issue alone) each damage an object the request does not address; the request
that opens each is sent here as a trial aimed at the object it names, and the finding must
come from the other object, seen only in the whole state.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from authfuzz.branches import Api, Branch
from authfuzz.checks.auth_writes import NegativeWrite
from authfuzz.client import ApiRequest, Client
from authfuzz.custody.custodian import Custodian
from authfuzz.custody.lock import RunLock
from authfuzz.custody.protector import Protector
from authfuzz.engine.engine import Engine, Results
from authfuzz.engine.trial import NOTHING, Allowance, Shot, Trial
from authfuzz.operations import write_operations
from authfuzz.oracles import Outcome, no_foreign_url, no_undocumented_write
from authfuzz.oracles import no_unauthenticated_write as unauthenticated
from authfuzz.state import new_nonce
from authfuzz.targets import load_target
from authfuzz.workbench import Workbench
from authfuzz.world import pk_from_uri
from strategies.auth import example_attempt
from testbed.runner import Testbed
from tests.harness.gate import REPO

pytestmark = pytest.mark.slow

TARGET = load_target(REPO / "targets.toml", "testbed")
V1, V2 = "/api/v1/downloads", "/api/v2/downloads"
SEEDS = (1, 2, 3, 4, 5)
# The seed's releases (testbed.seed, which needs Django's settings to import).
PUBLISHED_SLUG, DRAFT_SLUG = "python-3140", "python-3150a0"


@contextmanager
def engine_on(*defects: str) -> Iterator[Engine]:
    """An engine as the plugin makes one: custody read the testbed first, and puts back."""
    with Testbed(defects=defects) as info:
        target = TARGET.with_base_url(info.base_url)
        client = Client(target)
        bench = Workbench(target, client)
        custody = bench.reader.sharing(custody=True)
        custodian = Custodian(custody, client.ledger)
        custodian.begin()
        protector = Protector(custody, client.ledger, RunLock(), lambda: custodian.start)
        try:
            with client.guarded_by(protector):
                yield Engine(bench, protector=protector)
            report = custodian.finish(protector.log)
            assert report.unchanged, report.details()
        finally:
            bench.close()
            client.close()


@dataclass(frozen=True)
class Fixed:
    """A trial whose shot is built by ``make`` (against the bench as it is at each send)."""

    key: str
    make: Callable[[Workbench], Shot]

    def shoot(self, bench: Workbench) -> Shot:
        return self.make(bench)


def writer(key: str) -> Fixed:
    """Claims to change nothing (a negative credential's trial), sends a valid staff create."""

    def make(bench: Workbench) -> Shot:
        slug = f"authfuzz-writer-{new_nonce()}"
        body = {"name": f"authfuzz {slug}", "slug": slug}
        request = ApiRequest("POST", f"{V2}/os/", headers=bench.staff_auth(Api.V2), json_body=body)
        return Shot(
            request, unauthenticated.INVARIANT, "writer", request.method + " " + request.path
        )

    return Fixed(key, make)


def harmless(bench: Workbench) -> list[Trial]:
    """The no-credentials example on every write operation but the bulk deletes: eighteen
    trials that write nothing."""
    attempt = example_attempt(bench.target.principals, Api.V1, Branch.NO_CREDENTIALS)
    v2 = example_attempt(bench.target.principals, Api.V2, Branch.NO_CREDENTIALS)
    return [
        NegativeWrite(op, attempt if op.api is Api.V1 else v2, "harmless")
        for op in write_operations(bench.target.spec)
        if op.kind != "bulk_destroy"
    ]


def findings(results: Results) -> dict[str, Any]:
    return {
        key: verdict.finding
        for key, verdict in results.verdicts.items()
        if verdict.outcome is Outcome.FINDING
    }


# -- bisection ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_one_writing_trial_among_many_is_the_one_finding(seed: int) -> None:
    with engine_on() as engine:
        trials = harmless(engine.bench)
        trials.insert(random.Random(seed).randrange(len(trials) + 1), writer("the writer"))
        results = engine.run(trials)
        found = findings(results)
        assert list(found) == ["the writer"], found
        assert found["the writer"].evidence.startswith("os 'authfuzz-writer-")
        assert "created" in found["the writer"].evidence
        assert all(v.outcome is Outcome.PASS for k, v in results.verdicts.items() if k not in found)
        assert results.unconfirmed == []
        # One batch, halves down to the writer (log2 of 19, twice), and its replay alone.
        assert results.batches <= 1 + 2 * 5 + 1, results.batches


@pytest.mark.parametrize("seed", SEEDS)
def test_two_writing_trials_are_two_findings(seed: int) -> None:
    with engine_on() as engine:
        trials = harmless(engine.bench)
        draw = random.Random(seed)
        for name in ("first writer", "second writer"):
            trials.insert(draw.randrange(len(trials) + 1), writer(name))
        results = engine.run(trials)
        assert sorted(findings(results)) == ["first writer", "second writer"]
        assert results.unconfirmed == []


def test_a_clean_batch_costs_one_read_of_the_whole_state() -> None:
    with engine_on() as engine:
        client = engine.client
        engine.run(harmless(engine.bench))  # canaries made, the state read once
        before = client.sent
        trials = harmless(engine.bench)
        results = engine.run(trials)
        assert results.batches == 1
        # The attempts and three list reads (os, release, release_file), nothing else.
        assert client.sent - before == len(trials) + 3


# -- the whole state is the oracle ----------------------------------------------------------


def _draft_pk(bench: Workbench, slug: str) -> int:
    known = bench.reader.world()
    entry = next(e for e in known.table("release").values() if e.slug == slug)
    return entry.pk


def guest_deletes_the_latest_release(bench: Workbench) -> Shot:
    """latest-handover-on-delete: a guest DELETE of the published latest release."""
    pk = _draft_pk(bench, PUBLISHED_SLUG)
    request = ApiRequest("DELETE", f"{V1}/release/{pk}/")
    return Shot(
        request,
        unauthenticated.INVARIANT,
        "no-credentials",
        "DELETE /api/v1/downloads/release/{id}/",
        aim=frozenset({("release", pk)}),
    )


def guest_names_an_existing_release_by_slug(bench: Workbench) -> Shot:
    """nested-release-by-slug: a guest create of a file whose release is named by its slug."""
    canaries = bench.canaries()
    nonce = new_nonce()
    url = f"{bench.target.url_prefix}ftp/authfuzz/{nonce}/nested.tgz"
    body = {
        "name": f"authfuzz {nonce}",
        "slug": f"authfuzz-nested-{nonce}",
        "os": f"{V1}/os/{canaries.pk('os')}/",
        "release": {"slug": DRAFT_SLUG, "name": f"authfuzz renamed {nonce}"},
        "url": url,
    }
    request = ApiRequest("POST", f"{V1}/release_file/", json_body=body)
    return Shot(
        request, unauthenticated.INVARIANT, "no-credentials", "POST /api/v1/downloads/release_file/"
    )


def guest_takes_the_download_button(bench: Workbench) -> Shot:
    """download-button-handover: a guest create of a second download-button file for a pair
    whose button another file holds."""
    holder = bench.kept(
        "button holder", lambda: _button_holder(bench), _remove_holder, _holder_keys
    )
    nonce = new_nonce()
    body = {
        "name": f"authfuzz {nonce}",
        "slug": f"authfuzz-button-{nonce}",
        "os": f"{V1}/os/{holder['os']}/",
        "release": f"{V1}/release/{holder['release']}/",
        "url": f"{bench.target.url_prefix}ftp/authfuzz/{nonce}/button.exe",
        "download_button": True,
    }
    request = ApiRequest("POST", f"{V1}/release_file/", json_body=body)
    return Shot(
        request, unauthenticated.INVARIANT, "no-credentials", "POST /api/v1/downloads/release_file/"
    )


def _button_holder(bench: Workbench) -> dict[str, Any]:
    """A release of its own on the canary OS, and the file that holds its download button. The
    release is published: v1 resolves a related object with the caller's read rights, so a
    guest's body may name only a release a guest can see."""
    reader, nonce = bench.reader, new_nonce()
    os_pk = bench.canaries().pk("os")
    release = reader.create(
        "release",
        {
            "name": f"authfuzz {nonce}",
            "slug": f"authfuzz-holder-release-{nonce}",
            "version": 3,
            "is_published": True,
            "show_on_download_page": False,
        },
    )
    release_pk = pk_from_uri(release["resource_uri"])
    holder = reader.create(
        "release_file",
        {
            "name": f"authfuzz holder {nonce}",
            "slug": f"authfuzz-holder-{nonce}",
            "os": reader.url("os", os_pk),
            "release": reader.url("release", release_pk),
            "url": f"{bench.target.url_prefix}ftp/authfuzz/{nonce}/holder.exe",
            "download_button": True,
        },
    )
    return {
        "reader": reader,
        "os": os_pk,
        "release": release_pk,
        "file": pk_from_uri(holder["resource_uri"]),
    }


def _remove_holder(holder: dict[str, Any]) -> None:
    holder["reader"].delete("release", holder["release"])


def _holder_keys(holder: dict[str, Any]) -> list[tuple[str, int]]:
    return [("release", holder["release"]), ("release_file", holder["file"])]


def staff_swaps_a_url(bench: Workbench) -> Shot:
    """url-swap-keeps-sidecars: staff gives the canary file the seeded file's URL."""
    canary = bench.canaries().release_file
    pk = pk_from_uri(canary["resource_uri"])
    seeded = next(
        e
        for e in bench.reader.world().table("release_file").values()
        if e.slug == "python-3140-tgz"
    )
    url = str(seeded.fields["url"])
    body = {"url": url, "gpg_signature_file": url + ".asc", "sbom_spdx2_file": url + ".spdx.json"}
    request = ApiRequest(
        "PATCH", f"{V2}/release_file/{pk}/", headers=bench.staff_auth(Api.V2), json_body=body
    )
    return Shot(
        request,
        no_undocumented_write.INVARIANT,
        "v2-patch:url",
        "PATCH /api/v2/downloads/release_file/{id}/",
        allowed=Allowance(changes=frozenset({("release_file", pk)})),
        aim=frozenset({("release_file", pk)}),
    )


ELSEWHERE = [
    (
        "latest-handover-on-delete",
        guest_deletes_the_latest_release,
        unauthenticated.INVARIANT,
        DRAFT_SLUG,
    ),
    (
        "nested-release-by-slug",
        guest_names_an_existing_release_by_slug,
        unauthenticated.INVARIANT,
        DRAFT_SLUG,
    ),
    (
        "download-button-handover",
        guest_takes_the_download_button,
        unauthenticated.INVARIANT,
        "authfuzz-holder-",
    ),
    ("url-swap-keeps-sidecars", staff_swaps_a_url, no_foreign_url.INVARIANT, "python-3140-tgz"),
]


@pytest.mark.parametrize(
    ("defect", "make", "invariant", "elsewhere"), ELSEWHERE, ids=[e[0] for e in ELSEWHERE]
)
def test_a_change_to_an_object_not_aimed_at_is_a_finding(
    defect: str, make: Callable[[Workbench], Shot], invariant: str, elsewhere: str
) -> None:
    with engine_on(defect) as engine:
        results = engine.run([Fixed(defect, make)])
        found = findings(results)
        assert list(found) == [defect], results.verdicts
        assert found[defect].invariant == invariant
        assert elsewhere in found[defect].evidence, found[defect].evidence
        if invariant == unauthenticated.INVARIANT:
            assert "(an object it does not address)" in found[defect].evidence
    with engine_on() as engine:  # the same request on python.org HEAD changes nothing
        results = engine.run([Fixed(defect, make)])
        assert findings(results) == {}, results.verdicts
        assert results.unconfirmed == []


# -- confirmation alone ----------------------------------------------------------------------


def test_a_change_made_by_something_else_is_never_a_finding() -> None:
    """Another client renames a seeded release after the engine last read the state: the next
    batch sees it, its trials do not do it again alone, and custody puts the release back."""
    with engine_on() as engine:
        bench = engine.bench
        engine.run(harmless(bench))
        assert bench.reader.known_world() is not None  # the next batch's "before" costs nothing
        draft = _draft_pk(bench, DRAFT_SLUG)
        other = Client(bench.target)
        try:
            answer = other.send(
                ApiRequest(
                    "PATCH",
                    f"{V2}/release/{draft}/",
                    headers=bench.staff_auth(Api.V2),
                    json_body={"name": "renamed by someone else"},
                )
            )
            assert answer.status == 200
        finally:
            other.close()
        results = engine.run(harmless(bench))
        assert findings(results) == {}
        assert len(results.unconfirmed) == 1, results.unconfirmed
        assert DRAFT_SLUG in results.unconfirmed[0].seen
        bench.reader.forget()
        restored = bench.reader.world().by_pk("release", draft)
        assert restored is not None and restored.fields["name"] != "renamed by someone else"
        assert all(v.outcome is Outcome.PASS for v in results.verdicts.values())


def test_a_dirty_batch_is_not_reported_from_the_batch_itself() -> None:
    """A finding always comes from a send alone, after an earlier sighting: a batch of one
    writer is sent twice, the second time alone under the exclusive lock."""
    with engine_on() as engine:
        results = engine.run([writer("alone")])
        assert list(findings(results)) == ["alone"]
        assert results.batches == 2


def test_a_negative_trial_that_changes_nothing_passes_whatever_else_is_allowed() -> None:
    """An allowance explains only its own shot's changes: a staff create beside negative
    trials makes no batch dirty, and what it made is removed afterwards."""
    with engine_on() as engine:
        bench = engine.bench

        def staff_create(bench: Workbench) -> Shot:
            slug = f"authfuzz-allowed-{new_nonce()}"
            body = {"name": f"authfuzz {slug}", "slug": slug}
            request = ApiRequest(
                "POST", f"{V2}/os/", headers=bench.staff_auth(Api.V2), json_body=body
            )
            return Shot(
                request,
                no_undocumented_write.INVARIANT,
                "valid-staff",
                "POST /api/v2/downloads/os/",
                allowed=Allowance(creates=frozenset({("os", slug)})),
            )

        results = engine.run([*harmless(bench), Fixed("allowed", staff_create)])
        assert findings(results) == {}
        assert results.batches == 1
        known = bench.reader.world()
        assert not [e for e in known.table("os").values() if e.slug.startswith("authfuzz-allowed-")]
        assert Allowance() == NOTHING
