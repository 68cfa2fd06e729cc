"""The stored-URL sweep finds foreign URLs planted past the API and the constraint.

Runs on whichever database the testbed uses: SQLite by default, PostgreSQL
when DATABASE_URL is set (CI runs this module both ways).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.planting import plant_release_file
from testbed.runner import Testbed
from tests.harness.gate import run_gate, write_targets

pytestmark = pytest.mark.slow


def test_sweep_reports_planted_foreign_urls_grouped_by_release(tmp_path: Path) -> None:
    with Testbed() as info:
        plant_release_file(
            info.database,
            release_pk=1,
            os_pk=1,
            slug="evil",
            url="https://evil.example/Python-3.14.0.tgz",
            gpg_signature_file="https://evil.example/Python-3.14.0.tgz.asc",
        )
        plant_release_file(
            info.database,
            release_pk=2,
            os_pk=1,
            slug="lookalike",
            url="https://www.python.org.evil.example/x.tgz",
        )
        targets = write_targets(tmp_path, "planted", info.base_url, "production")
        # Marked production: the sweep must be read-only, so it runs where nothing may write.
        run = run_gate(
            tmp_path,
            "--targets-file",
            str(targets),
            "--target",
            "planted",
            select="suites/test_stored_urls.py",
        )
    assert run.returncode == 1, run.output[-3000:]
    sweep = [f for f in run.findings() if f["oracle"] == "stored-url-sweep"]
    assert {f["branch"] for f in sweep} == {"stored:v1", "stored:v2"}
    for api in ("v1", "v2"):
        per_release = [f for f in sweep if f["branch"] == f"stored:{api}"]
        assert len(per_release) == 2, per_release  # one finding per affected release
        evidence = " ".join(f["evidence"] for f in per_release)
        assert "https://evil.example/Python-3.14.0.tgz" in evidence
        assert "gpg_signature_file" in evidence
        assert "www.python.org.evil.example" in evidence


def test_sweep_passes_on_the_clean_seed(tmp_path: Path) -> None:
    run = run_gate(tmp_path, select="suites/test_stored_urls.py")
    assert run.returncode == 0, run.output[-3000:]
