"""Each defect of the travel classes is found by the explicit tests alone, under every seed.

The switches (testbed/defects.py, issue 11) open one sub-form each: a key with characters
appended, whitespace around the username, Basic on v2, a proxy's identity header, a client
address header, an override header or parameter applied after the permission check, a URL
rule that only runs for JSON. Only the explicit tests run here (the branch examples and
the sub-forms; for URLs the body-format cases), so a finding cannot come from a lucky
Hypothesis draw; each defect runs under three seeds, and each must name its branch and the
sub-form that opened it. The clean side is test_gate_runs' clean run, which passes with no
finding through the same tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.redaction import Redactor
from authfuzz.targets import load_target
from tests.harness.gate import REPO, run_gate

pytestmark = pytest.mark.slow

PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals
SEEDS = (1, 2, 3)
AUTH = "suites/test_auth_branches.py"
EXPLICIT_AUTH = "test_branch_never_writes"

# defect, the branch slug its finding names, the sub-form label it must carry, -k selection
CASES = [
    ("v2-basic-auth", "other-scheme", "scheme:basic-password", "v2 and other-scheme"),
    ("key-extension", "wrong-key", "near-miss:extension", "v1 and wrong-key"),
    ("username-strip", "username-variant", "username:whitespace-leading", "v1 and username"),
    ("proxy-user-header", "proxy-identity", "proxy-identity:x-forwarded-user", "v2 and proxy"),
    ("trusted-network", "internal-trust", "internal-trust:x-real-ip=10.0.0.1", "v1 and internal"),
    ("override-after-auth", "method-override", "override:header:x-http-method", "v2 and override"),
    ("query-method-override", "method-override", "override:query:_method", "v2 and override"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("defect", "branch", "label", "selection"), CASES, ids=[c[0] for c in CASES]
)
def test_a_travel_defect_is_found_by_its_sub_form(
    tmp_path: Path, defect: str, branch: str, label: str, selection: str, seed: int
) -> None:
    run = run_gate(
        tmp_path,
        "--defects",
        defect,
        "--hypothesis-seed",
        str(seed),
        "-k",
        f"({EXPLICIT_AUTH}) and {selection}",
        select=AUTH,
    )
    assert run.returncode == 1, run.output[-3000:]
    ours = [f for f in run.findings() if f["branch"] == branch]
    assert ours, run.branches()
    assert any(label in f["labels"] for f in ours), [f["labels"] for f in ours]
    assert not Redactor.for_principals(PRINCIPALS).contains_secret(run.everything_written())


@pytest.mark.parametrize("seed", SEEDS)
def test_a_url_rule_for_json_only_is_found_in_xml_and_yaml(tmp_path: Path, seed: int) -> None:
    run = run_gate(
        tmp_path,
        "--defects",
        "sidecar-check-json-only",
        "--hypothesis-seed",
        str(seed),
        "-k",
        "every_body_format and v1",
        select="suites/test_url_policy.py",
    )
    assert run.returncode == 1, run.output[-3000:]
    formats = {
        label
        for f in run.findings()
        if f["invariant"] == "no-foreign-url"
        for label in f["labels"]
        if label.startswith("body:")
    }
    assert formats == {"body:xml", "body:yaml"}, formats


def test_the_same_selections_pass_on_the_clean_testbed(tmp_path: Path) -> None:
    """The other way round: what finds each defect finds nothing at HEAD."""
    selections = " or ".join(f"({c[3]})" for c in CASES)
    run = run_gate(tmp_path, "-k", f"({EXPLICIT_AUTH}) and ({selections})", select=AUTH)
    assert run.returncode == 0, run.output[-3000:]
    urls = run_gate(
        tmp_path / "urls", "-k", "every_body_format and v1", select="suites/test_url_policy.py"
    )
    assert urls.returncode == 0, urls.output[-3000:]
