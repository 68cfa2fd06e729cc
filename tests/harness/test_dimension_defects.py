"""Switches nobody here designed, each found by its dimension of the input space, on every seed.

The eleven switches of issues 18 and 19 were written by helper sessions that saw only the
testbed and the issue, never the strategies: each is a realistic mistake along one dimension
(the bytes of a credential, the body, the object's provenance, the moment, the answer, the
URL fields, the identity). Under seed 1 ``suites/test_dimensions.py`` as a whole must fail on
each, with a finding labelled with the dimension's cell that reached it; under seeds 2 and 3
that dimension's own check alone must find it again (the suite draws nothing at random, so
the repeats guard against timing and order, not luck, and need not pay for the other six
dimensions' requests each time). The whole suite passes on the clean testbed under all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from tests.harness.gate import REPO, run_gate

pytestmark = pytest.mark.slow

SUITE = "suites/test_dimensions.py"
SEEDS = (1, 2, 3)
PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals
# switch -> the label its finding must carry (the dimension's cell)
CELLS = {
    "nfkc-credentials": "bytes:key:fullwidth",
    "bulk-patch-deletes": "body:tastypie-deleted-objects",
    "creatorless-release-writable": "object:seeded",
    "upload-burst-auth-cache": "moment:after-valid",
    "upload-checked-after-save": "body:release_file.",
    "patch-checks-sent-urls-only": "url:alone:url",
    "any-key-reads-drafts": "identity:release-detail",
    "download-button-handover": "body:release_file.download_button",
    "nested-release-by-slug": "body:nested-by-slug",
    "latest-handover-on-delete": "object:seeded",
    "url-swap-keeps-sidecars": "url:other-file-url",
}
# a cell's dimension -> the check of suites/test_dimensions.py that sends that dimension's cells
CHECK_OF = {
    "bytes": "test_credential_bytes_never_write",
    "body": "test_every_body_never_writes",
    "object": "test_objects_of_every_provenance_stay_unwritten",
    "moment": "test_no_moment_lets_a_wrong_credential_write",
    "url": "test_no_url_edit_stores_a_mismatch",
    "identity": "test_no_identity_sees_more_than_anonymous",
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("defect", sorted(CELLS))
def test_each_blind_switch_is_found_by_its_dimension(
    tmp_path: Path, defect: str, seed: int
) -> None:
    alone = [] if seed == SEEDS[0] else ["-k", CHECK_OF[CELLS[defect].split(":")[0]]]
    run = run_gate(
        tmp_path, "--defects", defect, "--hypothesis-seed", str(seed), *alone, select=SUITE
    )
    assert run.returncode == 1, run.output[-3000:]
    labels = [label for f in run.findings() for label in f["labels"]]
    assert any(CELLS[defect] in label for label in labels), labels
    assert "input space (dimension x cell)" in run.output
    assert not Redactor.for_principals(PRINCIPALS).contains_secret(run.everything_written())


@pytest.mark.parametrize("seed", SEEDS)
def test_the_clean_testbed_passes_every_dimension(tmp_path: Path, seed: int) -> None:
    run = run_gate(tmp_path, "--hypothesis-seed", str(seed), select=SUITE)
    assert run.returncode == 0, run.output[-3000:]
    assert run.findings() == []
    matrix = run.output.split("input space (dimension x cell)")[1].split("authfuzz:")[0]
    assert "NOT exercised" not in matrix and "NOT checked" not in matrix, matrix
