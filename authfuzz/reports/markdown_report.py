"""The Markdown report: a pull-request comment or a ticket, so it must fit in one.

GitHub refuses a comment over 65,536 characters, and a reviewer reads the top: the verdict,
its reason and the counts come first, then one table row per (invariant, branch) group, then
the most direct finding of each group in full. Everything else is in the artifact
(``findings.json``, ``report.html``, ``pocs/``); the file says so where it stops.
"""

from __future__ import annotations

import re

from authfuzz.findings import Finding
from authfuzz.poc.export import describe
from authfuzz.reports.view import ReportView
from authfuzz.run_summary import group_findings, verdict_of

MAX_CHARS = 30_000  # well inside a GitHub comment, with room for a bot's own text
MAX_DETAILED = 10  # groups whose first finding is shown in full

FILE = "findings.md"


def render(findings: list[Finding], summary: dict[str, object], matrix_text: str) -> str:
    verdict = verdict_of(findings, summary)
    lines = [f"# authfuzz report: {verdict}", ""]
    if summary.get("reason"):
        lines += [f"**{verdict}:** {summary['reason']}", ""]
    lines += _summary_table(findings, summary)
    groups = group_findings(findings)
    if groups:
        lines += [
            f"## Findings by invariant and branch ({len(groups)} group(s))",
            "",
            "| # | invariant | branch | findings | operations | first operation |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {n} | {_cell(g.invariant)} | `{_cell(g.branch)}` | {g.count} | "
            f"{len(g.operations)} | `{_cell(g.first.operation)}` |"
            for n, g in enumerate(groups, 1)
        ]
        lines.append("")
    head = "\n".join(lines)
    details = [_detail(n, g.first) for n, g in enumerate(groups[:MAX_DETAILED], 1)]
    tail = _not_checked(summary)
    if matrix_text:
        tail += ["## Coverage", "", *_fenced(matrix_text), ""]
    body, left_out = _fit(head, details, "\n".join(tail))
    if left_out or len(groups) > MAX_DETAILED:
        shown = min(len(details) - left_out, MAX_DETAILED)
        body += (
            f"\n_Shown in full: the most direct finding of {shown} of {len(groups)} group(s). "
            f"All {len(findings)} finding(s), their requests and PoC files are in the run's "
            "artifact: findings.json, report.html, pocs/ (`authfuzz repro pocs/`)._\n"
        )
    return body


def _summary_table(findings: list[Finding], summary: dict[str, object]) -> list[str]:
    tests = summary.get("tests") if isinstance(summary.get("tests"), dict) else {}
    assert isinstance(tests, dict)
    not_checked = summary.get("not_checked")
    rows = [
        ("target", summary.get("target", "?")),
        ("profile", summary.get("profile")),
        ("findings", len(findings)),
        (
            "tests",
            f"{tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed, "
            f"{tests.get('skipped', 0)} skipped, {tests.get('not_run', 0)} not run",
        ),
        ("not checked", not_checked.get("count", 0) if isinstance(not_checked, dict) else 0),
        ("target state", summary.get("target_state_line") or None),
        ("defect switches", summary.get("defects") or None),
        ("PoC files", describe(pocs) if isinstance(pocs := summary.get("pocs"), dict) else None),
        ("requests", summary.get("requests")),
        ("seconds", summary.get("seconds")),
        ("started", summary.get("started_at") or None),
    ]
    table = ["| | |", "| --- | --- |"]
    table += [f"| {name} | {_cell(str(value))} |" for name, value in rows if value is not None]
    return [*table, ""]


def _detail(number: int, finding: Finding) -> str:
    lines = [
        f"## {number}. {finding.invariant} ({finding.oracle}): branch `{finding.branch}`",
        "",
        f"- **Code:** `{finding.code}` (`authfuzz explain {finding.code}`)",
        f"- **Operation:** `{finding.operation}`",
        f"- **What:** {finding.summary}",
        f"- **Status:** {finding.status}",
        f"- **Read-back:** {finding.evidence}",
        f"- **Attempt:** {'; '.join(finding.labels)}",
        "",
        "Request (redacted):",
        "",
        *_fenced(finding.request),
        "",
        "Reproduce (export the target's secrets first):",
        "",
        *_fenced(finding.curl, "sh"),
        "",
    ]
    return "\n".join(lines)


def _not_checked(summary: dict[str, object]) -> list[str]:
    not_checked = summary.get("not_checked")
    tests = not_checked.get("tests", []) if isinstance(not_checked, dict) else []
    if not tests:
        return []
    lines = [f"## Not checked ({len(tests)}): neither a finding nor a pass", ""]
    lines += [f"- `{t['nodeid']}`: {t['cause']}: {t['reason']}" for t in tests[:20]]
    if len(tests) > 20:
        lines.append(f"- ... and {len(tests) - 20} more: see findings.json")
    return [*lines, ""]


def _fit(head: str, details: list[str], tail: str) -> tuple[str, int]:
    """The head, as many details as fit in ``MAX_CHARS``, the tail if it fits too."""
    out, used = [head], len(head)
    kept = 0
    for detail in details:
        if used + len(detail) + len(tail) > MAX_CHARS and kept:
            break
        out.append(detail)
        used += len(detail) + 1
        kept += 1
    if used + len(tail) <= MAX_CHARS:
        out.append(tail)
    return "\n".join(out), len(details) - kept


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (attacker-chosen strings included)."""
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _fenced(text: str, language: str = "") -> list[str]:
    """A code block whose fence is longer than any backtick run in the text.

    Requests carry attacker-chosen strings (a username or URL with backticks); a fixed
    three-backtick fence would let them close the block and inject Markdown.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text, fence]


def report(view: ReportView) -> str:
    routes, space = view.routes_text, view.dimensions
    grids = (
        view.matrix.render()
        + (f"\n\n{routes}" if routes else "")
        + (f"\n\n{space.render()}" if space else "")
    )
    return render(view.findings, view.summary, grids)
