"""Clean-up's reserve: the plan keeps it, the checks cannot spend it, custody still can.

- the plan keeps ``CLEAN_UP`` requests in each bucket custody settles the target with (the
  trusted principal's and the reader's), and says how many runs a fresh window holds;
- each process's checks stop at their share of what is left after the reserve: the next check
  request on that bucket is answered by the client itself as throttled (not sent), while
  custody's requests still go, against a real testbed;
- the reader is another staff principal when the target has one, so reads and writes spend
  two daily buckets; with one staff principal both are its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.client import ApiRequest, Client
from authfuzz.principals import Principal, Principals, Role
from authfuzz.targets import load_target
from authfuzz.throttles.plan import plan
from authfuzz.throttles.rates import PYTHON_ORG
from authfuzz.throttles.reserve import CLEAN_UP, Ceilings, reserved_buckets
from testbed.runner import Testbed

REPO = Path(__file__).resolve().parents[2]
ADMIN = Principal("admin", "admin", Role.STAFF, api_key="a" * 40, token="b" * 40)
EDITOR = Principal("editor", "editor", Role.STAFF, api_key="c" * 40, token="d" * 40)
USER = Principal("user", "user", Role.USER, api_key="e" * 40, token="f" * 40)
BODY = ["suites/test_dimensions.py::test_every_body_never_writes[v2]"]


def test_the_reader_is_the_other_staff_principal_when_there_is_one() -> None:
    two, one = Principals((ADMIN, EDITOR, USER)), Principals((ADMIN, USER))
    assert (two.trusted(), two.reader()) == (ADMIN, EDITOR)
    assert (one.trusted(), one.reader()) == (ADMIN, ADMIN)
    assert [b.label for b in reserved_buckets(two)] == ["v2 admin", "v2 editor"]
    assert [b.label for b in reserved_buckets(one)] == ["v2 admin"]


def test_the_plan_keeps_clean_up_s_share_of_each_bucket_custody_uses() -> None:
    result = plan(BODY, 8, Principals((ADMIN, EDITOR, USER)), PYTHON_ORG)
    kept = {line.bucket.label: line.reserved for line in result.lines}
    assert kept["v2 admin"] == kept["v2 editor"] == CLEAN_UP
    assert all(n == 0 for label, n in kept.items() if label not in ("v2 admin", "v2 editor"))
    assert "kept for clean-up" in result.describe()
    admin = next(line for line in result.lines if line.bucket.label == "v2 admin")
    assert admin.runs() == 3000 // (admin.planned + CLEAN_UP)
    # A production run writes nothing, so it keeps nothing back.
    read_only = plan(BODY, 8, Principals((ADMIN, EDITOR)), PYTHON_ORG, read_only=True)
    assert all(line.reserved == 0 for line in read_only.lines)


def test_the_checks_share_is_what_is_left_after_the_reserve_split_between_processes() -> None:
    result = plan(BODY, 8, Principals((ADMIN, USER)), PYTHON_ORG, spent={"v2 admin": 1000})
    ceilings = result.ceilings(processes=2)
    assert ceilings.share["v2 admin"] == (3000 - 1000 - CLEAN_UP) // 2
    assert ceilings.refuses("v2 admin", ceilings.share["v2 admin"] - 1) is None
    why = ceilings.refuses("v2 admin", ceilings.share["v2 admin"])
    assert why is not None and "kept for clean-up" in why and why.startswith("throttled")


def test_a_check_past_its_share_is_not_sent_and_custody_still_is() -> None:
    target = load_target(REPO / "targets.toml", "testbed")
    admin = target.principals.by_name("admin")
    read = ApiRequest(
        "GET", "/api/v2/downloads/os/", headers=(("Authorization", f"Token {admin.token}"),)
    )
    with Testbed() as info:
        client = Client(target.with_base_url(info.base_url), ceilings=Ceilings({"v2 admin": 2}))
        before = len(info.logged_requests())
        answers = [client.send(read) for _ in range(3)]
        custody = client.send(read, custody=True)
        arrived = len(info.logged_requests()) - before
        client.close()
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].fault is not None and "kept for clean-up" in answers[2].fault
    assert answers[2].tries == 0  # answered by the client: never sent
    assert custody.status == 200 and custody.fault is None
    assert arrived == 3  # two checks and custody's read


def test_a_request_the_front_server_refused_as_malformed_is_not_counted() -> None:
    """A NUL in a header gets a plain-text 400 from the front server; the application, and
    so its throttle, never saw it. A 400 from the API itself (JSON) was counted."""
    from authfuzz.throttles.buckets import ANONYMOUS, Bucket, counted

    anonymous = Bucket("v2", ANONYMOUS)
    path = "/api/v2/downloads/os/"
    assert not counted(anonymous, 400, path, "text/plain; charset=utf-8")
    assert counted(anonymous, 400, path, "application/json")
    assert counted(anonymous, 200, path, "application/json")
    assert not counted(anonymous, 401, path, "application/json")


@pytest.mark.slow
def test_a_failing_run_against_a_throttled_target_leaves_the_next_one_its_day(
    tmp_path: Path,
) -> None:
    """On guest-fallthrough, with python.org's throttles on and one spend journal: two runs in
    a row each FAIL with the same findings, one per invariant, branch and operation; what was
    spared is not checked with the reason, and the target is left as found each time."""
    import json

    from tests.harness.gate import run_gate, write_targets

    journal = tmp_path / "spend.json"
    outcomes = []
    with Testbed(defects=frozenset({"guest-fallthrough"}), throttle=True) as info:
        targets = write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        for n in (1, 2):
            where = tmp_path / f"run{n}"
            where.mkdir()
            run = run_gate(
                where, "--targets-file", str(targets), "--target", "real",
                "--spend-journal", str(journal), "-p", "no:randomly",
                "-k", "test_branch_never_writes and (v1-wrong-key or v1-other-users-key)",
                select="suites/test_auth_branches.py",
            )  # fmt: skip
            assert run.returncode == 1, run.output[-3000:]
            data = json.loads((run.report_dir / "findings.json").read_text())
            groups = [(f["invariant"], f["branch"], f["operation"]) for f in data["findings"]]
            assert len(groups) == len(set(groups)), "a group was confirmed twice"
            assert data["summary"]["target_state"]["unchanged"], data["summary"]["target_state"]
            outcomes.append(frozenset(groups))
    assert outcomes[0] == outcomes[1] and len(outcomes[0]) >= 10, outcomes


def test_a_run_no_window_holds_says_how_many_windows_it_needs() -> None:
    """The deep profile's size against a day: refused with how many days it would take."""
    fuzzed = [
        f"suites/test_auth_branches.py::test_fuzzed_attempts_never_write[op{n}]" for n in range(10)
    ]
    deep = plan(fuzzed, 300, Principals((ADMIN, EDITOR, USER)), PYTHON_ORG)
    assert not deep.fits
    worst = max(deep.lines, key=lambda line: line.windows())
    assert worst.windows() >= 2
    assert deep.too_big() == f"needs {worst.windows()} days of the {worst.bucket.label} bucket"
    small = plan(fuzzed, 8, Principals((ADMIN, EDITOR, USER)), PYTHON_ORG)
    assert small.fits and small.too_big() == ""
    daily = min((line for line in small.lines if line.per == "day"), key=lambda x: x.runs())
    assert f"{daily.runs()} a day ({daily.bucket.label})" in small.runs_per_window()
