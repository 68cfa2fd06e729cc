"""A run leaves the target as it found it, and a vulnerable build cannot make it lose data.

Every test here points the gate (or custody's parts) at a testbed it started itself, as a
shared deployment (``environment = "staging"``), and judges by reading the testbed's database
directly, never through the API under test: every row of the OS, release and release-file
tables, compared by slug with every column but the id, the timestamps and the user columns,
references as the related rows' slugs. With ``DATABASE_URL`` set the testbed runs on
PostgreSQL (``.ci/run`` runs this module a second time that way).

- a clean run: the database is as before, ``is_latest`` included, and the end screen says so;
- a run against the unscoped bulk delete: every file the deployment had is back with every
  field (new ids), the stored-URL sweep still read them, and the report says what came back;
- a new latest release demotes the real one; custody puts it back at once, and removes the
  run's release at the end;
- Ctrl-C in the middle, and an xdist worker that dies after creating something, leave no trace;
- ``destructive = false`` sends none of the risky requests, and says why in the matrix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authfuzz.client import Client
from authfuzz.custody.custodian import Custodian
from authfuzz.custody.protector import Protector
from authfuzz.state import Reader
from authfuzz.targets import load_target
from authfuzz.world import pk_from_uri
from testbed.principals import targets_toml
from testbed.runner import Testbed, TestbedInfo
from tests.harness.gate import REPO, GateRun, run_gate

pytestmark = pytest.mark.slow

TABLES = {
    "os": "downloads_os",
    "release": "downloads_release",
    "release_file": "downloads_releasefile",
}
IGNORED = {"id", "created", "updated", "creator_id", "last_modified_by_id"}
# Three more files the deployment "had" before the run, beside the seed's one, one of them the
# download button of its (os, release) pair (which v2 recreates only last).
EXTRA_FILES = [
    {"name": "Windows zip", "slug": "python-3140-embed-zip",
     "url": "https://www.python.org/ftp/python/3.14.0/python-3.14.0-embed-amd64.zip",
     "gpg_signature_file": "https://www.python.org/ftp/python/3.14.0/python-3.14.0-embed-amd64.zip.asc",
     "sha256_sum": "ab" * 32, "filesize": 9_000_000},
    {"name": "Windows installer", "slug": "python-3140-amd64-exe", "download_button": True,
     "url": "https://www.python.org/ftp/python/3.14.0/python-3.14.0-amd64.exe"},
    {"name": "Draft source", "slug": "python-3150a0-tgz",
     "url": "https://www.python.org/ftp/python/3.15.0/Python-3.15.0a0.tgz"},
]  # fmt: skip


def database_state(info: TestbedInfo) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of the three tables by slug, references as slugs, ids and timestamps aside."""
    with info.direct.transaction() as connection:
        cursor = connection.cursor()
        slugs: dict[str, dict[Any, str]] = {}
        rows: dict[str, dict[str, dict[str, Any]]] = {}
        for resource, table in TABLES.items():
            cursor.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            records = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            slugs[resource] = {r["id"]: r["slug"] for r in records}
            rows[resource] = {}
            for record in records:
                for relation in ("os", "release"):
                    if f"{relation}_id" in record:
                        record[relation] = slugs[relation][record.pop(f"{relation}_id")]
                rows[resource][record["slug"]] = {
                    k: str(v) for k, v in record.items() if k not in IGNORED
                }
        return rows


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[TestbedInfo, Path]]:
    """A clean testbed treated as a shared staging deployment, with a few more files."""
    with Testbed() as info:
        _add_files(info)
        targets = tmp_path / "targets.toml"
        targets.write_text(targets_toml("stage", info.base_url, "staging"))
        yield info, targets


def _trusted_client(base_url: str) -> tuple[Client, Reader]:
    target = load_target(REPO / "targets.toml", "testbed").with_base_url(base_url)
    client = Client(target)
    trusted = target.principals.trusted()
    assert trusted is not None
    return client, Reader(client, trusted)


def _add_files(info: TestbedInfo) -> None:
    """Put the extra files in place the way a release manager would: through v2, as staff."""
    client, reader = _trusted_client(info.base_url)
    os_pk = pk_from_uri(reader.find("os", slug="windows")[0]["resource_uri"])
    for body in EXTRA_FILES:
        release = "python-3150a0" if body["slug"].startswith("python-3150") else "python-3140"
        release_pk = pk_from_uri(reader.find("release", slug=release)[0]["resource_uri"])
        reader.create(
            "release_file",
            {**body, "os": reader.url("os", os_pk), "release": reader.url("release", release_pk)},
        )
    client.close()


def _gate(tmp_path: Path, targets: Path, *args: str, select: str = "suites") -> GateRun:
    return run_gate(
        tmp_path, "--targets-file", str(targets), "--target", "stage", *args, select=select
    )


def _target_state(run: GateRun) -> dict[str, Any]:
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    state: dict[str, Any] = summary["target_state"]
    return state


def test_a_clean_run_leaves_the_deployment_as_it_found_it(
    tmp_path: Path, deployment: tuple[TestbedInfo, Path]
) -> None:
    info, targets = deployment
    before = database_state(info)
    run = _gate(tmp_path, targets, "-n", "2")
    after = database_state(info)
    assert run.returncode == 0, run.output[-3000:]
    assert after == before  # every column of every row, is_latest included
    assert before["release"]["python-3140"]["is_latest"] in ("1", "True")
    assert "target state: unchanged (" in run.output
    state = _target_state(run)
    assert state["checked"] and state["unchanged"] and state["not_cleaned"] == []
    assert state["restored"] == []  # a clean build: nothing to put back


def test_unscoped_bulk_delete_loses_nothing(tmp_path: Path) -> None:
    with Testbed(defects=("unscoped-bulk-delete",)) as info:
        _add_files(info)
        targets = tmp_path / "targets.toml"
        targets.write_text(targets_toml("stage", info.base_url, "staging"))
        before = database_state(info)
        run = _gate(
            tmp_path,
            targets,
            str(REPO / "suites/test_stored_urls.py"),  # after the bulk deletes
            select="suites/test_bulk_delete_scope.py",
        )
        after = database_state(info)
    assert run.returncode == 1, run.output[-3000:]
    assert run.branches() >= {"bulk-filter:missing", "bulk-filter:blank"}  # the defect, found
    # Every file the deployment had is back, with every field, and nothing of the run's is left.
    assert after == before
    # The stored-URL sweep ran after the bulk deletes and still read every file.
    sweeps = _junit_cases(run, "test_no_stored_url_outside_the_policy")
    assert len(sweeps) == 2 and all(outcome == "passed" for outcome in sweeps.values()), sweeps
    state = _target_state(run)
    assert state["unchanged"] and state["not_cleaned"] == []
    restored = state["restored"]
    assert restored and all("recreated with every field, new id" in r for r in restored)
    assert {r.split("'")[1] for r in restored} <= set(before["release_file"])
    assert "target state: unchanged, after" in run.output


def test_a_new_latest_release_is_put_back_at_once_and_the_run_leaves_nothing() -> None:
    with Testbed() as info:
        before = database_state(info)
        client, reader = _trusted_client(info.base_url)
        custody = Reader(client, reader.trusted, custody=True)
        custodian = Custodian(custody, client.ledger)
        custodian.begin()
        protector = Protector(custody, client.ledger)
        with client.guarded_by(protector):
            reader.create(
                "release",
                {"name": "Python 3.14.1", "slug": "authfuzz-latest", "version": 3,
                 "is_published": True, "is_latest": True},
            )  # fmt: skip
            during = database_state(info)
        report = custodian.finish(protector.log)
        client.close()
        after = database_state(info)
    # Right after the request the real latest release is latest again ...
    assert during["release"]["python-3140"]["is_latest"] in ("1", "True")
    assert protector.guarded == 1
    # ... and at the end the run's release is gone and everything is as it was.
    assert after == before
    assert report.unchanged and report.removed == ["release 'authfuzz-latest' (id 3)"]
    assert report.restored == ["release 'python-3140' (id 1) put back: is_latest=True"]


def test_ctrl_c_in_the_middle_leaves_no_trace(
    tmp_path: Path, deployment: tuple[TestbedInfo, Path]
) -> None:
    info, targets = deployment
    before = database_state(info)
    gate = subprocess.Popen(
        _pytest_command(tmp_path, targets, str(REPO / "suites"), "-n", "2"),
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(),
    )  # fmt: skip
    _wait_for_writes(info, 150)
    gate.send_signal(signal.SIGINT)
    output, _ = gate.communicate(timeout=180)
    assert "KeyboardInterrupt" in output or "Interrupted" in output, output[-3000:]
    assert database_state(info) == before, output[-3000:]
    assert "target state: unchanged" in output


HOSTILE_WORKER = """
import os
from authfuzz.state import new_nonce


def test_dies_after_creating_something(authfuzz_workbench):
    # Nothing in its name says "authfuzz": only the worker's journal knows it is the run's.
    authfuzz_workbench.reader.create("os", {"name": "plain", "slug": f"plain-{new_nonce()}"})
    authfuzz_workbench.canaries()
    os._exit(1)


def test_lives(authfuzz_workbench):
    authfuzz_workbench.canaries()
"""


def test_an_xdist_worker_that_dies_leaves_no_trace(
    tmp_path: Path, deployment: tuple[TestbedInfo, Path]
) -> None:
    info, targets = deployment
    before = database_state(info)
    module = tmp_path / "test_dying.py"
    module.write_text(HOSTILE_WORKER)
    completed = subprocess.run(
        _pytest_command(tmp_path, targets, str(module), "-n", "2"),
        cwd=tmp_path, capture_output=True, text=True, timeout=180, env=_env(),
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert "crashed" in output or "node down" in output, output[-3000:]
    assert database_state(info) == before, output[-3000:]


def test_destructive_false_sends_no_risky_request_and_says_why(tmp_path: Path) -> None:
    with Testbed() as info:
        targets = tmp_path / "targets.toml"
        text = targets_toml("stage", info.base_url, "staging")
        targets.write_text(
            text.replace(
                'environment = "staging"\n', 'environment = "staging"\ndestructive = false\n', 1
            )
        )
        seen_before = len(info.logged_requests())
        run = _gate(
            tmp_path,
            targets,
            "-k",
            "bulk or method-override",
            select="suites/test_auth_branches.py",
        )
        bulk = run_gate(
            tmp_path / "bulk", "--targets-file", str(targets), "--target", "stage",
            select="suites/test_bulk_delete_scope.py",
        )  # fmt: skip
        logged = info.logged_requests()[seen_before:]
    risky = [
        r for r in logged
        if (r["method"] == "DELETE" and r["path"].endswith(("/release_file/", "/delete_by_release/")))
        or (r["override"] == "DELETE" and r["path"].endswith("/release_file/"))
    ]  # fmt: skip
    assert risky == []
    assert run.returncode == 0 and bulk.returncode == 0, run.output[-2000:] + bulk.output[-2000:]
    assert (
        "destructive = false for this target: a DELETE of the whole release_file list" in run.output
    )
    assert "destructive = false for this target: a bulk delete can reach every release file" in (
        run.output + bulk.output
    )


def _junit_cases(run: GateRun, name: str) -> dict[str, str]:
    """The outcome of each JUnit test case whose name starts with ``name``."""
    import xml.etree.ElementTree as ElementTree

    cases = {}
    for case in ElementTree.parse(run.junit).getroot().iter("testcase"):
        if case.get("name", "").startswith(name):
            kinds = {child.tag for child in case}
            cases[case.get("name", "")] = next(
                (k for k in ("failure", "error", "skipped") if k in kinds), "passed"
            )
    return cases


def _pytest_command(tmp_path: Path, targets: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-profile", "ci",
        "--targets-file", str(targets), "--target", "stage", "--report-dir",
        str(tmp_path / "report"), *args,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _wait_for_writes(info: TestbedInfo, writes: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(r["method"] != "GET" for r in info.logged_requests()) >= writes:
            return
        time.sleep(0.2)
    raise AssertionError(f"the gate did not send {writes} writes within {timeout} s")


class _OtherClient:
    """Another client of the same token, spending its day: a GET of an OS that does not exist,
    which the token's throttle counts like any other request and which costs the testbed and
    this process about half what a list read through ``requests`` does (3,000 per test)."""

    def __init__(self, info: TestbedInfo, token: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        address = urlsplit(info.base_url)
        self._connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        self._headers = {"Authorization": f"Token {token}"}

    def spend(self, requests: int) -> bool:
        """Send up to ``requests``; True as soon as one is throttled (429)."""
        for _ in range(requests):
            self._connection.request("GET", "/api/v2/downloads/os/0/", headers=self._headers)
            answer = self._connection.getresponse()
            answer.read()
            if answer.status == 429:
                return True
        return False

    def close(self) -> None:
        self._connection.close()


@pytest.mark.slow
def test_clean_up_goes_by_another_staff_principal_when_the_trusted_bucket_is_spent(
    tmp_path: Path,
) -> None:
    """Another client spends the admin token's whole day mid-run; the run's object is still
    removed, through the editor's token, and the report says by which route."""
    from authfuzz.custody.custodian import SharedCustody
    from authfuzz.custody.reconcile import Reconciliation
    from authfuzz.state import new_nonce

    with Testbed(throttle=True) as info:
        targets = tmp_path / "targets.toml"
        targets.write_text(targets_toml("real", info.base_url, "staging", throttled=True))
        target = load_target(targets, "real")
        custody = SharedCustody.open(target, None)
        trusted = target.principals.trusted()
        assert trusted is not None
        slug = f"authfuzz-route-{new_nonce()}"
        Reader(custody.client, trusted).create("os", {"name": slug, "slug": slug})
        outside = _OtherClient(info, trusted.token)  # the same token: 3,000 a day
        if not outside.spend(3100):
            pytest.fail("the testbed never throttled the admin token")
        outside.close()
        report = custody.close(Reconciliation())
        left = database_state(info)
    assert report.checked and report.unchanged, (report.note, report.left)
    assert "'editor'" in report.route and "'admin'" in report.route, report.route
    assert slug not in left["os"], "the run's object was stranded"


@pytest.mark.slow
def test_a_bucket_spent_mid_run_by_another_client_strands_nothing(tmp_path: Path) -> None:
    """The whole gate against a deployment with python.org's throttles; once it is writing,
    another client spends the admin token's whole day. The checks that needed it are not
    checked (NOT CLEAN, never PASS), and the run's objects still go, through the editor's
    bucket, which the end screen names."""
    with Testbed(throttle=True) as info:
        targets = tmp_path / "targets.toml"
        targets.write_text(targets_toml("stage", info.base_url, "staging", throttled=True))
        admin = load_target(targets, "stage").principals.by_name("admin")
        before = database_state(info)
        outside = _OtherClient(info, admin.token)  # the same token: 3,000 a day
        assert not outside.spend(2600)  # most of its day, before the run (which cannot know)
        gate = subprocess.Popen(
            _pytest_command(tmp_path, targets, str(REPO / "suites" / "test_url_policy.py")),
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(),
        )  # fmt: skip
        _wait_for_writes(info, 20)
        if not outside.spend(500):  # and the rest of it, mid-run
            pytest.fail("the testbed never throttled the admin token")
        outside.close()
        output, _ = gate.communicate(timeout=300)
        after = database_state(info)
    assert gate.returncode == 4, output[-3000:]  # NOT CLEAN: throttled checks, no finding
    assert after == before, output[-3000:]
    assert "target state: unchanged" in output, output[-3000:]
    assert "clean-up went by staff principal 'editor'" in output, output[-3000:]
