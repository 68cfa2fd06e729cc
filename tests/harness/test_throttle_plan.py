"""Throttles as a plan, and a bounded run: against a testbed with python.org's real throttles.

- the plan's arithmetic: measured costs per test and example, the target's principals and
  limits, trimming that drops fuzzed examples first and never the explicit ones;
- a whole default ci run fits python.org's real throttles (one day of a v2 token: 3,000
  requests; 600 an hour per v1 identity) untrimmed: it passes, the testbed's own throttles
  never answer 429, and every bucket spends no more than the plan said (so the plan is an
  upper bound, and the cost table has not gone stale);
- against a deployment whose token allows less (2,400 a day here), the run does not fit: it
  stops before it starts, with one line that says by how much, and sends nothing but
  custody's reads; with ``--fit-throttle`` it runs trimmed, within the plan;
- a 429 with a long ``Retry-After`` ends the affected checks at once as not checked, and the
  bucket is not asked again;
- ``--max-seconds`` stops checking in time, lists what was not checked, and fails the run.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests

from authfuzz.principals import Principal, Principals, Role
from authfuzz.throttles import costs
from authfuzz.throttles.plan import Plan, fitted, plan
from authfuzz.throttles.rates import PYTHON_ORG, Rate, Throttles, parse_throttles
from authfuzz.throttles.reserve import CLEAN_UP
from testbed.runner import Testbed
from tests.harness.gate import GateRun, run_gate, write_targets

PRINCIPALS = Principals(
    (
        Principal("admin", "admin", Role.STAFF, api_key="k" * 40, token="t" * 40),
        Principal("user", "user", Role.USER, api_key="u" * 40, token="v" * 40),
    )
)
EXPLICIT = [f"suites/test_url_policy.py::test_url_categories_never_stored[{n}]" for n in range(100)]
FUZZED = [
    f"suites/test_auth_branches.py::test_fuzzed_attempts_never_write[op{n}]" for n in range(10)
]


def _planned(text: str) -> dict[str, int]:
    """``v2 admin 2,929 + 40 kept for clean-up of 3,000/day | ...`` -> {"v2 admin": 2969, ...}
    (what the checks may spend and what is kept for clean-up: all the run may spend)."""
    pattern = r"(v[12] [\w-]+) ([\d,]+)(?: \+ ([\d,]+) kept for clean-up)? of [\d,]+/\w+"
    return {
        label: int(n.replace(",", "")) + int((kept or "0").replace(",", ""))
        for label, n, kept in re.findall(pattern, text)
    }


def _plan_line(run: GateRun) -> str:
    return next(line for line in run.output.splitlines() if "throttle plan" in line)


def test_the_plan_sums_measured_costs_against_the_targets_limits() -> None:
    """One staff principal: it writes and reads, so its line holds both, and clean-up's share."""
    url = costs.PER_TEST["test_url_categories_never_stored"]
    example = costs.PER_EXAMPLE["test_fuzzed_attempts_never_write"]
    result = plan(EXPLICIT + FUZZED, 8, PRINCIPALS, PYTHON_ORG)
    admin = next(line for line in result.lines if line.bucket.label == "v2 admin")
    explicit = 100 * (url.get("v2 trusted", 0) + url.get("v2 staff", 0)) * 1.03
    fuzzed = 10 * 8 * (example.get("v2 trusted", 0) + example.get("v2 staff", 0)) * 1.15
    process = sum(costs.PER_PROCESS.values()) * 1.15
    assert admin.planned == pytest.approx(explicit + fuzzed + process + 5, abs=1)
    assert admin.reserved == CLEAN_UP
    assert (admin.limit, admin.per) == (3000, "day")
    assert admin.over == max(0, admin.planned + CLEAN_UP - 3000)


def test_the_other_staff_principal_has_its_own_line_and_one_staff_principal_has_one() -> None:
    body = ["suites/test_dimensions.py::test_every_body_never_writes[v2]"]
    editor = Principal("editor", "editor", Role.STAFF, api_key="e" * 40, token="f" * 40)
    two = plan(body, 8, Principals((*PRINCIPALS, editor)), PYTHON_ORG)
    labels = [line.bucket.label for line in two.lines]
    assert "v2 editor" in labels and len(labels) == len(set(labels)), labels
    one = plan(body, 8, PRINCIPALS, PYTHON_ORG)
    labels = [line.bucket.label for line in one.lines]
    assert "v2 editor" not in labels and len(labels) == len(set(labels)), labels


def _v2_user(planned: Plan) -> int:
    """The most any one v2 user token spends in the plan (the v2_user rate bounds each)."""
    return max(
        line.planned
        for line in planned.lines
        if line.bucket.api == "v2" and line.bucket.identity != "anonymous"
    )


def test_trimming_drops_fuzzed_examples_first_and_keeps_every_explicit_one() -> None:
    # A limit between the explicit tests' spend and the whole run's, from the cost table itself.
    roomy = Throttles(v2_user=Rate(10**6, "day"))
    explicit_only = _v2_user(plan(EXPLICIT, 8, PRINCIPALS, roomy))
    everything = _v2_user(plan(EXPLICIT + FUZZED, 8, PRINCIPALS, roomy))
    assert explicit_only < everything
    tight = Throttles(v2_user=Rate((explicit_only + everything) // 2, "day"))
    full = plan(EXPLICIT + FUZZED, 8, PRINCIPALS, tight)
    trimmed = fitted(EXPLICIT + FUZZED, 8, PRINCIPALS, tight)
    assert not full.fits and trimmed.fits and 0 <= trimmed.examples < 8
    assert plan(EXPLICIT + FUZZED, trimmed.examples + 1, PRINCIPALS, tight).fits is False
    # The explicit examples alone may not fit at all: then nothing does.
    assert not fitted(EXPLICIT, 8, PRINCIPALS, Throttles(v2_user=Rate(10, "day"))).fits


def test_throttles_in_targets_toml() -> None:
    assert parse_throttles(None) == PYTHON_ORG and parse_throttles(False) is None
    assert parse_throttles({"v2_user": "5000/day"}).v2_user == Rate(5000, "day")  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="'600 per hour' is not a rate"):
        parse_throttles({"v1": "600 per hour"})


TIGHTER = '\n[targets.real.throttles]\nv2_user = "500/day"\n'  # a deployment's own limit


def _tighter(path: Path) -> Path:
    path.write_text(path.read_text() + TIGHTER)
    return path


@pytest.mark.slow
def test_a_whole_default_run_fits_python_org_s_real_throttles(tmp_path: Path) -> None:
    with Testbed(throttle=True) as info:
        targets = write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        run = run_gate(tmp_path, "--targets-file", str(targets), "--target", "real")
        statuses = [r["status"] for r in info.logged_requests()]
    assert run.returncode == 0, run.output[-3000:]
    assert 429 not in statuses
    line = _plan_line(run)
    assert "trimmed" not in line, line
    planned = _planned(line)
    spent = json.loads((run.report_dir / "requests.json").read_text())["by_bucket"]
    assert all(n <= planned.get(label, 0) for label, n in spent.items()), (line, spent)
    assert spent["v2 admin"] <= 3000 and planned["v2 admin"] <= 3000, (line, spent)
    assert "v2 editor" in planned, line  # the reader: state is read on its own bucket
    assert all(n <= 600 for label, n in spent.items() if label.startswith("v1 ")), spent


@pytest.mark.slow
def test_a_run_that_does_not_fit_stops_before_it_starts(tmp_path: Path) -> None:
    with Testbed(throttle=True) as info:
        targets = write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        run = run_gate(tmp_path, "--targets-file", str(_tighter(targets)), "--target", "real")
        logged = info.logged_requests()
    assert run.returncode == 2, run.output[-3000:]
    stop = [line for line in run.output.splitlines() if "does not fit its throttles" in line]
    assert stop and re.search(
        r"v2 editor [\d,]+ \+ 40 kept for clean-up of 500/day \([\d,]+ over\)", stop[0]
    )
    assert "--fit-throttle" in stop[0]
    assert {r["method"] for r in logged} == {"GET"}  # custody read the target; nothing else
    assert "PASS" not in run.output and "authfuzz: GATE" not in run.output


@pytest.mark.slow
def test_fit_throttle_runs_within_the_real_throttles_and_the_plan_bounds_the_spend(
    tmp_path: Path,
) -> None:
    with Testbed(throttle=True) as info:
        targets = _tighter(
            write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        )
        run = run_gate(
            tmp_path, "--targets-file", str(targets), "--target", "real", "--fit-throttle"
        )
        statuses = [r["status"] for r in info.logged_requests()]
    assert run.returncode == 0, run.output[-3000:]
    assert 429 not in statuses  # the testbed's own throttles never had to say no
    line = _plan_line(run)
    assert "trimmed by --fit-throttle" in line
    planned = _planned(line)
    spent = json.loads((run.report_dir / "requests.json").read_text())["by_bucket"]
    assert spent and all(n <= planned.get(label, 0) for label, n in spent.items()), (line, spent)
    # An upper bound, but not a wild one: the plan is within a factor of 1.5 of the spend.
    assert spent["v2 editor"] * 1.5 >= planned["v2 editor"], (line, spent)
    assert "throttles v1 admin" in run.output or "throttles v2 admin" in run.output


@pytest.mark.slow
def test_a_long_retry_after_ends_the_affected_checks_at_once(tmp_path: Path) -> None:
    with Testbed(throttle=True) as info:
        with requests.Session() as session:  # spend the anonymous v2 bucket (100 a day)
            for _ in range(101):
                session.get(f"{info.base_url}/api/v2/downloads/os/")
        before = len(info.logged_requests())
        targets = write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        started = time.monotonic()
        run = run_gate(
            tmp_path,
            "--targets-file",
            str(targets),
            "--target",
            "real",
            "-k",
            "test_identity_probes and v2",
            select="suites/test_auth_branches.py",
        )
        took = time.monotonic() - started
        throttled = [r for r in info.logged_requests()[before:] if r["status"] == 429]
    assert run.returncode == 4, run.output[-3000:]  # NOT CLEAN
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    assert summary["findings"] == 0
    not_checked = summary["not_checked"]
    # The one check of every v2 probe: its anonymous probes hit the closed bucket.
    assert not_checked["count"] == 1 and set(not_checked["by_cause"]) == {"throttle"}
    assert "Retry-After" in not_checked["tests"][0]["reason"], not_checked
    assert len(throttled) == 1  # asked once; the bucket was then left alone
    assert took < 60, took


@pytest.mark.slow
def test_max_seconds_stops_in_time_and_says_what_was_not_checked(tmp_path: Path) -> None:
    started = time.monotonic()
    run = run_gate(tmp_path, "--max-seconds", "6")
    took = time.monotonic() - started
    assert run.returncode == 5, run.output[-3000:]  # INCOMPLETE
    assert "authfuzz: INCOMPLETE, --max-seconds ran out" in run.output
    assert took < 40, took
    summary = json.loads((run.report_dir / "findings.json").read_text())["summary"]
    assert summary["not_checked"]["by_cause"].get("time", 0) > 30
    assert re.search(r"not checked: \d+ \(time \d+\); not a pass", run.output)
    assert summary["target_state"]["unchanged"]  # what the cut-off checks made is gone


# -- the spend journal: the plan knows the day ---------------------------------------------

PROBES = ("-k", "test_identity_probes and v2")


@pytest.mark.slow
def test_the_journal_records_a_run_and_the_next_that_no_longer_fits_is_refused(
    tmp_path: Path,
) -> None:
    from authfuzz.targets import load_target
    from authfuzz.throttles import spending
    from authfuzz.throttles.journal import Journal

    journal = tmp_path / "spend.json"
    with Testbed(throttle=True) as info:
        targets = write_targets(tmp_path, "real", info.base_url, "staging", throttled=True)
        options = ("--targets-file", str(targets), "--target", "real")
        options += ("--spend-journal", str(journal))
        first_dir, second_dir = tmp_path / "first", tmp_path / "second"
        first_dir.mkdir()
        second_dir.mkdir()
        first = run_gate(first_dir, *options, *PROBES, select="suites/test_auth_branches.py")
        assert first.returncode == 0, first.output[-3000:]
        spent = json.loads((first.report_dir / "requests.json").read_text())["by_bucket"]
        data = json.loads(journal.read_text())
        recorded = {b["bucket"]: sum(n for _, n in b["spends"]) for b in data["buckets"]}
        assert recorded == spent and spent.get("v2 editor", 0) > 0, (recorded, spent)
        # Another client spent most of the reader's (the editor's) day an hour ago.
        target = load_target(targets, "real")
        book = Journal.load(journal)
        book.record(spending.key(target), "v2 editor", 2990, time.time() - 3600)
        book.save()
        before = len(info.logged_requests())
        second = run_gate(second_dir, *options, *PROBES, select="suites/test_auth_branches.py")
        sent = info.logged_requests()[before:]
    assert second.returncode == 2, second.output[-3000:]  # REFUSED
    assert "spent already" in second.output and "room for it again at" in second.output
    assert all(r["method"] == "GET" for r in sent), sent  # custody's reads, no attempt
    summary = json.loads((second.report_dir / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "refused"


def test_authfuzz_budget_prints_what_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from authfuzz.commands.budget import main
    from authfuzz.targets import load_target
    from authfuzz.throttles import spending
    from authfuzz.throttles.journal import Journal

    targets = write_targets(tmp_path, "staging", "http://127.0.0.1:9", "staging", throttled=True)
    journal = tmp_path / "spend.json"
    book = Journal(journal)
    book.record(spending.key(load_target(targets, "staging")), "v2 admin", 1000, time.time() - 60)
    book.save()
    code = main(
        ["--target", "staging", "--targets-file", str(targets), "--spend-journal", str(journal)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"v2 admin\s+2,000 left of 3,000/day \(1,000 spent by earlier runs", out), out
    assert re.search(r"v2 user\s+3,000 left of 3,000/day\n", out), out
