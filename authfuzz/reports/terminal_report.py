"""The one-screen summary printed at the end of a run: verdict, figures, findings, next steps.

It is the last thing on the terminal, so it must fit on one screen whatever the run found:
findings are grouped by (invariant, branch), at most ``MAX_GROUPS`` groups are listed, and
only the first group's reproduction is printed in full (every finding is in the reports).
"""

from __future__ import annotations

from pathlib import Path

from authfuzz.client.rendering import DERIVED
from authfuzz.run_summary import FindingGroup, RunSummary, group_findings

MAX_GROUPS = 8
MAX_ERRORS = 5


def title(summary: RunSummary) -> str:
    """The verdict and its reason, as ``authfuzz.verdict`` decided them."""
    return summary.ending.headline()


def render(
    summary: RunSummary,
    report_dir: Path,
    pocs_exported: bool,
    pocs_line: str = "",
    pytest_failed: int | None = None,
) -> list[str]:
    tests = summary.tests
    lines = [
        f"target    {summary.target} ({summary.environment})   profile {summary.profile}   "
        f"workers {summary.workers}   time {summary.seconds:.1f} s",
        f"tests     {tests.passed} passed, {tests.failed} failed, {tests.skipped} skipped"
        + (
            f" (pytest's own line counts {pytest_failed} failed: one per failed subtest)"
            if pytest_failed is not None and pytest_failed != tests.failed
            else ""
        ),
        f"requests  {summary.requests.sent:,} sent; {_budget(summary)}",
    ]
    if summary.throttle_use:
        lines.append(f"throttles {summary.throttle_use}")
    if summary.baseline is not None:
        lines.append(f"baseline  {summary.baseline.describe(summary.findings)}")
        lines += [
            "  fixed   " + " ".join(identity)
            for identity in summary.baseline.fixed(summary.findings)[:MAX_ERRORS]
        ]
    if summary.cells_exercised or summary.cells_skipped or summary.cells_missing:
        lines.append(
            f"coverage  {summary.cells_exercised} cells exercised, "
            f"{summary.cells_skipped} skipped with a reason, "
            f"{summary.cells_missing} NOT exercised"
        )
    if summary.target_state_lines:
        state, *details = summary.target_state_lines
        lines.append(f"target state: {state}")
        lines += [f"  {line}" for line in details]
    if summary.unreachable and summary.unreachable != summary.ending.reason:
        lines.append(f"stopped   {summary.unreachable}")
    if summary.not_run:
        lines.append(f"not run   {summary.not_run} of {summary.collected} test(s): not a pass")
    if summary.not_checked:
        causes = ", ".join(f"{cause} {n}" for cause, n in summary.not_checked_by_cause().items())
        lines += ["", f"not checked: {len(summary.not_checked)} ({causes}); not a pass:"]
        for record in summary.not_checked[:MAX_ERRORS]:
            lines.append(f"  {record.nodeid}")
            lines.append(f"    {record.cause}: {record.reason}")
        if len(summary.not_checked) > MAX_ERRORS:
            lines.append(
                f"  ... and {len(summary.not_checked) - MAX_ERRORS} more: see findings.json"
            )
    if summary.unconfirmed:
        lines += [
            "",
            f"unconfirmed: {len(summary.unconfirmed)} change(s) a batch showed and no request of "
            "the run made again alone (not findings):",
        ]
        lines += [f"  {item}" for item in summary.unconfirmed[:MAX_ERRORS]]
        if len(summary.unconfirmed) > MAX_ERRORS:
            lines.append(
                f"  ... and {len(summary.unconfirmed) - MAX_ERRORS} more: see findings.json"
            )
    errors = summary.failed_without_finding
    if errors:
        lines += ["", f"failed without a finding ({len(errors)}; tracebacks above):"]
        lines += [f"  {nodeid}" for nodeid in errors[:MAX_ERRORS]]
        if len(errors) > MAX_ERRORS:
            lines.append(f"  ... and {len(errors) - MAX_ERRORS} more")
    groups = group_findings(summary.findings)
    if groups:
        lines += ["", f"findings by invariant and branch ({len(groups)} group(s)):"]
        width = max(len(g.invariant) for g in groups[:MAX_GROUPS])
        branch_width = max(len(g.branch) for g in groups[:MAX_GROUPS])
        for group in groups[:MAX_GROUPS]:
            lines.append(
                f"  {group.invariant:<{width}}  {group.branch:<{branch_width}}  {_count(group)}"
            )
        if len(groups) > MAX_GROUPS:
            lines.append(f"  ... and {len(groups) - MAX_GROUPS} more group(s): see the reports")
        # The first group whose most direct finding pastes as a curl line, if any does.
        first = next((g.first for g in groups if g.first.curl != DERIVED), groups[0].first)
        lines += [
            "",
            f"reproduce the first ({first.branch}, {first.operation}, status {first.status}):",
            f"  {first.curl}",
        ]
        if pocs_exported:
            lines.append(f"replay    authfuzz repro {report_dir}/pocs/")
        if pocs_line:
            lines.append(f"pocs      {pocs_line}")
    lines.append(
        f"reports   {report_dir}/report.html  (and findings.json, findings.md, findings.sarif)"
    )
    return lines


def _budget(summary: RunSummary) -> str:
    limit, left = summary.requests.budget_limit, summary.requests.budget_left
    if limit is None:
        return "no request budget set for this target"
    return f"budget {left:,} of {limit:,} left"


def _count(group: FindingGroup) -> str:
    operations = len(group.operations)
    return (
        f"{group.count:>3} finding(s) on {operations} operation(s) via {', '.join(group.oracles)}"
    )
