"""Someone else changes the target during a run: never a finding, never silently dropped.

A staging site is shared: while the gate runs, another client renames a release it did not
create. The batch that sees the change cannot blame it on its own requests until one of them
does it again alone; none does, so the run passes, lists the change as unconfirmed on the end
screen and in ``findings.json``, and custody puts the release back as the run found it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from authfuzz.targets import load_target
from testbed.runner import Testbed
from tests.harness.gate import REPO, run_gate, write_targets

pytestmark = pytest.mark.slow

ADMIN = load_target(REPO / "targets.toml", "testbed").principals.by_name("admin")
DRAFT = "python-3150a0"  # the seed's unpublished release


def _meddle(base_url: str, stop: threading.Event) -> None:
    """Rename the seeded draft every half second, as a person editing it in the admin might."""
    headers = {"Authorization": f"Token {ADMIN.token}"}
    with requests.Session() as session:
        found = session.get(f"{base_url}/api/v2/downloads/release/", headers=headers, timeout=10)
        pk = next(r for r in found.json() if r["slug"] == DRAFT)["resource_uri"].rstrip("/")
        n = 0
        while not stop.wait(0.5):
            n += 1
            session.patch(
                pk + "/", json={"name": f"edited by someone else {n}"}, headers=headers, timeout=10
            )


def test_a_change_made_by_someone_else_is_listed_as_unconfirmed(tmp_path: Path) -> None:
    stop = threading.Event()
    with Testbed() as info:
        targets = write_targets(tmp_path, "shared", info.base_url, "staging")
        meddler = threading.Thread(target=_meddle, args=(info.base_url, stop), daemon=True)
        time.sleep(0)
        meddler.start()
        try:
            run = run_gate(
                tmp_path,
                "--targets-file",
                str(targets),
                "--target",
                "shared",
                "-k",
                "test_branch_never_writes and v1",
                select="suites/test_auth_branches.py",
            )
        finally:
            stop.set()
            meddler.join(timeout=15)
    assert run.returncode == 0, run.output[-3000:]
    assert run.findings() == []
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    unconfirmed = summary["unconfirmed"]
    assert unconfirmed, run.output[-3000:]
    assert all(DRAFT in item for item in unconfirmed), unconfirmed
    assert "unconfirmed: " in run.output and "(not findings)" in run.output
    assert "authfuzz: PASS" in run.output
