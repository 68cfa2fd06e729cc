from __future__ import annotations

from pathlib import Path

from authfuzz.findings import Finding


def render(findings: list[Finding], summary: dict[str, object], matrix_text: str) -> str:
    verdict = "FAIL" if findings else "PASS"
    lines = [
        f"# authfuzz report: {verdict}",
        "",
        f"Target: `{summary.get('target', '?')}`. Findings: {len(findings)}.",
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
            "```",
            finding.request,
            "```",
            "",
            "Reproduce (set the AUTHFUZZ_* variables first):",
            "",
            "```sh",
            finding.curl,
            "```",
            "",
        ]
    if matrix_text:
        lines += ["## Coverage: branch x operation", "", "```", matrix_text, "```", ""]
    return "\n".join(lines)


def write(
    path: Path, findings: list[Finding], summary: dict[str, object], matrix_text: str
) -> None:
    path.write_text(render(findings, summary, matrix_text), encoding="utf-8")
