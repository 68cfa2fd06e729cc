"""The run's figures and how they are shown, as plain data: tallies, groups, progress, screen."""

from __future__ import annotations

from pathlib import Path

from authfuzz.findings import Finding
from authfuzz.progress import Progress, status_line
from authfuzz.reports import markdown_report, terminal_report
from authfuzz.run_summary import OutcomeCounts, RequestTally, RunSummary, group_findings


def finding(branch: str, operation: str = "POST /api/v1/downloads/os/", **extra: str) -> Finding:
    fields = {
        "invariant": "no-unauthenticated-write",
        "oracle": "read-back",
        "target": "testbed",
        "branch": branch,
        "operation": operation,
        "summary": "the write took effect (status 201) without valid staff credentials",
        "request": f"{operation} with Authorization: ApiKey admin:{{redacted}}",
        "status": 201,
        "evidence": "a new row",
        "curl": f"curl -X POST http://127.0.0.1:1{operation.split()[1]}",
    }
    return Finding(**{**fields, **extra})  # type: ignore[arg-type]


def summary(
    findings: list[Finding], failed: int = 0, tally: RequestTally | None = None
) -> RunSummary:
    return RunSummary(
        target="testbed",
        environment="local",
        profile="ci",
        workers=2,
        tests=OutcomeCounts(passed=10, failed=failed, skipped=1),
        findings=findings,
        requests=tally or RequestTally(),
        seconds=12.34,
        cells_exercised=400,
        cells_skipped=2,
    )


# -- request tally ----------------------------------------------------------------------------


def test_tally_sums_workers_and_their_budget_shares() -> None:
    tally = RequestTally()
    tally.add("gw0", 10, 1500, 1490)
    tally.add("gw1", 7, 1500, 1493)
    tally.add("gw0", 5, 1500, 1485)
    assert (tally.sent, tally.budget_limit, tally.budget_left) == (22, 3000, 2978)


def test_settle_replaces_the_live_count_with_the_exact_final_one() -> None:
    tally = RequestTally()
    tally.add("gw0", 10, 1500, 1490)
    tally.settle("gw0", 14, 1486, 1500)  # teardown requests after the last test report
    assert (tally.sent, tally.budget_left) == (14, 1486)


def test_no_budget_when_any_process_is_unlimited() -> None:
    tally = RequestTally()
    tally.add("gw0", 3, None, None)
    tally.add("gw1", 3, 100, 97)
    assert (tally.budget_limit, tally.budget_left) == (None, None)


# -- verdict and groups -----------------------------------------------------------------------


def test_verdict_fails_on_a_finding_or_on_a_test_that_could_not_check() -> None:
    assert summary([]).verdict == "pass"
    assert summary([finding("wrong-key")]).verdict == "fail"
    assert summary([], failed=1).verdict == "error"


def test_groups_by_invariant_and_branch_in_order_preferring_a_read_back() -> None:
    probe = finding("wrong-key", "GET /api/v1/downloads/release/", oracle="identity-probe")
    write = finding("wrong-key", "DELETE /api/v1/downloads/os/{id}/")
    other = finding("other-users-key")
    groups = group_findings([probe, other, write, finding("wrong-key")])
    assert [(g.branch, g.count) for g in groups] == [("wrong-key", 3), ("other-users-key", 1)]
    assert groups[0].first == write
    assert groups[0].oracles == ("identity-probe", "read-back")
    assert len(groups[0].operations) == 3


def test_summary_dict_holds_the_figures_and_no_finding_text() -> None:
    tally = RequestTally()
    tally.add("main", 42, 100, 58)
    data = summary([finding("wrong-key")], tally=tally).to_dict()
    assert data["requests"] == 42 and data["budget_left"] == 58 and data["budget_limit"] == 100
    assert data["verdict"] == "fail" and data["findings"] == 1
    assert data["tests"] == {
        "passed": 10,
        "failed": 0,
        "skipped": 1,
        "not_run": 0,
        "collected": None,
    }
    assert data["exit_code"] == 1 and data["reason"] == "1 finding(s)"
    assert "admin" not in str(data)


# -- progress ---------------------------------------------------------------------------------


def test_status_is_printed_at_most_once_per_interval() -> None:
    progress = Progress(started=100.0, interval=10.0, total=50)
    tests, tally = OutcomeCounts(passed=5), RequestTally()
    assert progress.status(105.0, tests, 0, tally) is None
    line = progress.status(110.0, tests, 0, tally)
    assert line == "authfuzz: 5/50 tests | no findings | 0 requests | 10 s | about 90 s to go"
    assert progress.status(115.0, tests, 0, tally) is None
    assert progress.status(120.5, tests, 0, tally) is not None


def test_interval_zero_turns_progress_off() -> None:
    progress = Progress(started=0.0, interval=0)
    assert progress.status(1e6, OutcomeCounts(passed=1), 0, RequestTally()) is None


def test_no_time_estimate_before_a_tenth_of_the_run() -> None:
    tally = RequestTally()
    tally.add("main", 1234, 5000, 3766)
    line = status_line(30.0, 100, OutcomeCounts(passed=9), 2, tally)
    assert (
        line == "authfuzz: 9/100 tests | 2 finding(s) | 1,234 requests | budget left 3,766 | 30 s"
    )


def test_each_invariant_and_branch_is_announced_once() -> None:
    progress = Progress(started=0.0)
    first = progress.announce(finding("wrong-key"))
    assert first is not None and "FINDING no-unauthenticated-write on branch wrong-key" in first
    assert progress.announce(finding("wrong-key", "DELETE /api/v1/downloads/os/{id}/")) is None
    assert progress.announce(finding("other-users-key")) is not None


# -- the last screen --------------------------------------------------------------------------


def test_summary_fits_one_screen_however_many_findings() -> None:
    many = [finding(f"branch-{i}", f"POST /api/v1/op{j}/") for i in range(30) for j in range(5)]
    lines = terminal_report.render(summary(many), Path("out"), pocs_exported=True)
    assert len(lines) <= 22, "\n".join(lines)
    text = "\n".join(lines)
    assert f"... and {30 - terminal_report.MAX_GROUPS} more group(s)" in text
    assert "reproduce the first (branch-0, POST /api/v1/op0/, status 201)" in text
    assert "replay    authfuzz repro out/pocs/" in text
    assert terminal_report.title(summary(many)) == "authfuzz: FAIL, 150 finding(s)"


def test_clean_summary_says_pass_and_shows_the_budget() -> None:
    tally = RequestTally()
    tally.add("main", 300, 3000, 2700)
    clean = summary([], tally=tally)
    lines = terminal_report.render(clean, Path("r"), pocs_exported=False)
    assert terminal_report.title(clean) == "authfuzz: PASS, no findings"
    assert "requests  300 sent; budget 2,700 of 3,000 left" in lines
    assert not any("reproduce" in line or "replay" in line for line in lines)


def test_failed_tests_without_findings_are_named() -> None:
    broken = summary([], failed=7)
    broken.failed_without_finding = [f"suites/test_x.py::test_{i}" for i in range(7)]
    text = "\n".join(terminal_report.render(broken, Path("r"), pocs_exported=False))
    assert terminal_report.title(broken) == (
        "authfuzz: ERROR, 7 test(s) failed without a finding (tracebacks above)"
    )
    assert "suites/test_x.py::test_0" in text and "... and 2 more" in text


# -- Markdown fences --------------------------------------------------------------------------


def test_markdown_fence_outlasts_backticks_in_attacker_chosen_text() -> None:
    hostile = finding("unknown-user", request="POST /x with ApiKey ```\n# injected heading\n```:k")
    text = markdown_report.render([hostile], {"target": "t"}, "")
    fence_lines = [line for line in text.splitlines() if line.startswith("```")]
    assert "````" in fence_lines
    assert "\n# injected heading\n" in text  # still there, but inside the block
    block = text.split("````\n", 1)[1].split("\n````", 1)[0]
    assert "# injected heading" in block


def test_no_coverage_line_for_a_run_without_the_matrix() -> None:
    pocs_only = summary([])
    pocs_only.cells_exercised = pocs_only.cells_skipped = 0
    lines = terminal_report.render(pocs_only, Path("r"), pocs_exported=False)
    assert not any(line.startswith("coverage") for line in lines)
    assert any(
        line.startswith("coverage")
        for line in terminal_report.render(summary([]), Path("r"), False)
    )


# -- reports for people -----------------------------------------------------------------------


def test_markdown_fits_a_pull_request_comment_and_starts_with_the_summary() -> None:
    many = [
        finding(f"branch-{g}", f"POST /api/v1/downloads/op{n}/", request="x" * 2000)
        for g in range(30)
        for n in range(10)
    ]
    data = summary(many).to_dict()
    text = markdown_report.render(many, data, "grid\n" * 200)
    assert len(text) <= markdown_report.MAX_CHARS + 1000, len(text)
    lines = text.splitlines()
    assert lines[0] == "# authfuzz report: FAIL"
    assert lines[2] == "**FAIL:** 300 finding(s)"
    assert "| findings | 300 |" in text and "| tests | 10 passed, 0 failed" in text
    assert text.count("| `branch-") == 30  # one table row per group
    assert "findings.json, report.html, pocs/" in text  # where the rest is


def test_html_numbers_findings_within_their_group_and_grids_scroll_on_a_phone() -> None:
    from authfuzz.coverage import Matrix
    from authfuzz.reports import html_report

    many = [finding(f"b{g}", f"POST /api/v1/downloads/op{n}/") for g in range(3) for n in range(3)]
    page = html_report.render(many, summary(many).to_dict(), Matrix())
    assert "<h4>3.1 " in page and "<summary>3.3 " in page
    assert "finding 9</span>" in page  # the run-wide number stays, as a label
    assert ".scroll { max-width: 100%; overflow-x: auto; }" in page
