"""The Markdown report: for a pull-request comment or a ticket."""

from __future__ import annotations

import re
from pathlib import Path

from authfuzz.findings import Finding
from authfuzz.run_summary import verdict_of


def render(findings: list[Finding], summary: dict[str, object], matrix_text: str) -> str:
    verdict = verdict_of(findings, summary)
    lines = [
        f"# authfuzz report: {verdict}",
        "",
        f"Target: `{summary.get('target', '?')}`. Findings: {len(findings)}."
        + "".join(
            f" {label}: {summary[key]}."
            for key, label in (("requests", "Requests sent"), ("seconds", "Seconds"))
            if summary.get(key) is not None
        ),
        "",
    ]
    for number, finding in enumerate(findings, 1):
        lines += [
            f"## {number}. {finding.invariant} ({finding.oracle}): branch `{finding.branch}`",
            "",
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
            "Reproduce (set the AUTHFUZZ_* variables first):",
            "",
            *_fenced(finding.curl, "sh"),
            "",
        ]
    not_checked = summary.get("not_checked")
    tests = not_checked.get("tests", []) if isinstance(not_checked, dict) else []
    if tests:
        lines += [f"## Not checked ({len(tests)}): neither a finding nor a pass", ""]
        lines += [f"- `{t['nodeid']}`: {t['cause']}: {t['reason']}" for t in tests]
        lines.append("")
    if matrix_text:
        lines += ["## Coverage: branch x operation", "", *_fenced(matrix_text), ""]
    return "\n".join(lines)


def _fenced(text: str, language: str = "") -> list[str]:
    """A code block whose fence is longer than any backtick run in the text.

    Requests carry attacker-chosen strings (a username or URL with backticks); a fixed
    three-backtick fence would let them close the block and inject Markdown.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text, fence]


def write(
    path: Path, findings: list[Finding], summary: dict[str, object], matrix_text: str
) -> None:
    path.write_text(render(findings, summary, matrix_text), encoding="utf-8")
