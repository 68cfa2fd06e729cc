"""SARIF 2.1.0: the findings as a static-analysis log, for code-scanning dashboards.

One run per target (``automationDetails.id``: ``authfuzz/<target>/``, so code scanning keeps
each target's alerts apart), one rule per stable finding code (``authfuzz.codes``: every code,
found or not, so the rule set is the same in every log), each with ``security-severity`` and
``precision``, and one result per finding identity (invariant, branch, operation, oracle): the
findings of one identity (several sub-forms of one branch on one operation) are one hole, one
alert. A finding is about an API operation, not a line of code, so each result names the
operation as a logical location and points its physical location at the OpenAPI spec (at the
operation's line when the spec is at hand). GitHub matches an alert across runs only by
``partialFingerprints.primaryLocationLineHash``; it is the identity's hash, so the same hole
found again later (another nonce, seed or port) is the same alert, and a fixed one closes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import authfuzz
from authfuzz.codes import INVARIANTS, catalogue
from authfuzz.coverage import EXERCISED, FINDING, SKIPPED, UNCHECKED, Matrix
from authfuzz.findings import Finding
from authfuzz.reports.html_report import MISSING, matrix_grids, skipped_reasons
from authfuzz.reports.view import ReportView

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Where a reader of the log learns about the tool. The project has no public home of its own
# yet; this is the python.org security page the gate serves. Change it when it has one.
INFORMATION_URI = "https://www.python.org/dev/security/"
SPEC_URI = "specs/pythondotorg.yaml"  # relative to the repository root (%SRCROOT%)
LEVELS = ("none", "note", "warning", "error")

RULES: dict[str, dict[str, Any]] = {
    "no-unauthenticated-write": {
        "name": "NoUnauthenticatedWrite",
        "shortDescription": {
            "text": "A write took effect without valid, active staff credentials."
        },
        "fullDescription": {
            "text": (
                "Every negative authentication branch (no credentials, malformed headers, "
                "unknown users, wrong or near-miss keys, another user's key, non-staff or "
                "inactive users, other schemes, legacy query or form credentials, session "
                "cookies, mixed sources, method override, cross-version credentials, bad "
                "tokens) must leave the API's state unchanged. A trusted staff principal "
                "reads the touched objects back after each attempt; a change, a 2xx, or a "
                "negative credential that can see an unpublished release is a finding."
            )
        },
        "help": {
            "text": (
                "The API accepted a request that must have been refused. Reproduce it with "
                "the curl command in the result (export the AUTHFUZZ_* variables first), "
                "then fix the authentication or authorization path the branch names: for "
                "v1 (Tastypie) ApiKeyAuthentication must reject a known username with a "
                "wrong key and inactive users; for v2 (DRF) writes need an active staff "
                "user's token."
            ),
            "markdown": (
                "The API accepted a request that must have been refused.\n\n"
                "1. Reproduce it with the `curl` command in the result "
                "(export the `AUTHFUZZ_*` variables first).\n"
                "2. Fix the authentication or authorization path the **branch** names.\n"
                "3. Run `authfuzz run` again: the gate passes only when every branch is "
                "refused and nothing was written."
            ),
        },
        "properties": {"tags": ["security", "authentication", "authorization"]},
    },
    "no-foreign-url": {
        "name": "NoForeignUrl",
        "shortDescription": {
            "text": "A release-file URL outside the allowed python.org prefix was stored."
        },
        "fullDescription": {
            "text": (
                "Release-file URL fields (url, gpg_signature_file, sigstore and SBOM "
                "sidecars) must start with the allowed prefix byte for byte, and sidecars "
                "must be the file's URL plus their suffix. Values are written as trusted "
                "staff through every write path and read back; a stored value outside the "
                "policy, or one already present in the database, is a finding."
            )
        },
        "help": {
            "text": (
                "A download link could send users to a host other than python.org. Remove "
                "the stored value, then enforce the prefix and sidecar rules in every write "
                "path (v1 and v2 serializers) and in the database constraint."
            ),
            "markdown": (
                "A download link could send users to a host other than python.org.\n\n"
                "1. Remove or correct the stored value the result names.\n"
                "2. Enforce the byte-exact prefix and the sidecar rule in every write path "
                "(v1 and v2) and in the database constraint.\n"
                "3. Run `authfuzz run` again."
            ),
        },
        "properties": {"tags": ["security", "url-policy"]},
    },
    "bulk-delete-stays-in-scope": {
        "name": "BulkDeleteStaysInScope",
        "shortDescription": {
            "text": "A bulk delete removed release files outside the release it names."
        },
        "fullDescription": {
            "text": (
                "A release-file bulk delete (v1 DELETE on the release_file list, v2 "
                "delete_by_release), even by trusted staff, may delete only the files of the "
                "one release a single valid integer `release` filter names, and nothing when "
                "the query has no usable filter (missing, blank, non-numeric, repeated, "
                "re-cased or suffixed names). Files of a second release are read back after "
                "each request; one of them gone is a finding."
            )
        },
        "help": {
            "text": (
                "One request with a bad filter can delete every download of every release. "
                "Reproduce it with the curl command in the result (export the AUTHFUZZ_* "
                "variables first), then make both bulk-delete paths refuse any query that is "
                "not exactly one integer `release` and delete exactly release_id=N."
            ),
            "markdown": (
                "One request with a bad filter can delete every download of every release.\n\n"
                "1. Reproduce it with the `curl` command in the result "
                "(export the `AUTHFUZZ_*` variables first).\n"
                "2. Make both bulk-delete paths refuse any query that is not exactly one "
                "integer `release`, and delete exactly `release_id=N`.\n"
                "3. Run `authfuzz run` again."
            ),
        },
        "properties": {"tags": ["security", "authorization", "data-integrity"]},
    },
}

FILE = "findings.sarif"


def fingerprint(finding: Finding) -> str:
    """``primaryLocationLineHash``: the finding identity's hash, stable across runs."""
    key = "\x1f".join(finding.identity)
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}:1"


def render(findings: list[Finding], summary: dict[str, object], matrix: Matrix) -> dict[str, Any]:
    rules = _rules(findings)
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    lines = _spec_lines(_spec_text())
    by_identity: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in findings:
        by_identity.setdefault(finding.identity, []).append(finding)
    results = [_result(same, index, lines) for same in by_identity.values()]
    baseline = summary.get("baseline")
    if isinstance(baseline, dict):  # --baseline: code scanning's own notion, per result
        accepted = {tuple(identity) for identity in baseline.get("accepted", [])}
        for result, identity in zip(results, by_identity, strict=True):
            result["baselineState"] = "unchanged" if identity in accepted else "new"
    target = str(summary.get("target") or (findings[0].target if findings else "unknown"))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "authfuzz",
                "version": authfuzz.__version__,
                "semanticVersion": authfuzz.__version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"authfuzz/{target}/"},
        "invocations": [_invocation(summary)],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"summary": _summary(summary, findings), "coverage": _coverage(matrix)},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def report(view: ReportView) -> str:
    document = render(view.findings, view.summary, view.matrix)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rules(findings: list[Finding]) -> list[dict[str, Any]]:
    """One rule per finding code, found or not: the same rule set in every log; and one for
    a code of an invariant this version does not know (a newer check's finding, read back)."""
    rules = []
    known = {code.code for code in catalogue()}
    for code_text in sorted({f.code for f in findings} - known):
        invariant_name = next(f.invariant for f in findings if f.code == code_text)
        rules.append(
            {
                "id": code_text,
                "shortDescription": {"text": f"authfuzz invariant {invariant_name} broken."},
                "defaultConfiguration": {"level": "error"},
                "properties": {"security-severity": "9.0", "precision": "very-high"},
            }
        )
    for code in catalogue():
        invariant = INVARIANTS[code.invariant]
        described = RULES.get(code.invariant, {})
        help_text = described.get("help", {"text": invariant.fix})
        rules.append(
            {
                "id": code.code,
                "name": f"{described.get('name', code.invariant)}/{code.family}",
                "shortDescription": {"text": f"{invariant.title}: {code.what}."},
                "fullDescription": described.get("fullDescription", {"text": invariant.why}),
                "help": help_text,
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": [*described.get("properties", {}).get("tags", ["security"])],
                    "security-severity": f"{invariant.severity:.1f}",
                    # Every finding is replayed alone, from fresh state, before it is reported.
                    "precision": "very-high",
                    "problem.severity": "error",
                    "invariant": code.invariant,
                },
            }
        )
    return rules


def _result(
    same: list[Finding], index: dict[str, int], spec_lines: dict[str, int]
) -> dict[str, Any]:
    finding = same[0]
    labels = f" ({'; '.join(finding.labels)})" if finding.labels else ""
    more = (
        f"\nFound {len(same)} times on this branch and operation (sub-forms: "
        + "; ".join(sorted({"+".join(f.labels) or "plain" for f in same}))
        + ")"
        if len(same) > 1
        else ""
    )
    text = (
        f"{finding.code}: {finding.summary}.\n"
        f"Branch: {finding.branch}{labels}\n"
        f"Operation: {finding.operation}\n"
        f"Status: {finding.status}\n"
        f"Read-back: {finding.evidence}\n"
        f"Request (redacted): {finding.request}\n"
        f"Reproduce (export the AUTHFUZZ_* variables first): {finding.curl}\n"
        f"Explain: authfuzz explain {finding.code}{more}"
    )
    physical: dict[str, Any] = {"artifactLocation": {"uri": SPEC_URI, "uriBaseId": "%SRCROOT%"}}
    line = _operation_line(finding.operation, spec_lines)
    if line is not None:
        physical["region"] = {"startLine": line}
    return {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": "error",
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {
                        "name": finding.operation,
                        "fullyQualifiedName": f"{finding.target}:{finding.operation}",
                        "kind": "function",
                    }
                ],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint(finding)},
        "properties": {
            "invariant": finding.invariant,
            "branch": finding.branch,
            "oracle": finding.oracle,
            "labels": list(finding.labels),
            "occurrences": len(same),
            "target": finding.target,
            "status": finding.status,
            "curl": finding.curl,
        },
    }


def _invocation(summary: dict[str, object]) -> dict[str, Any]:
    """Whether the run finished (PASS, FAIL, NOT CLEAN) and its exit code and verdict: an
    interrupted or refused run is not a successful execution, whatever it found so far."""
    verdict = str(summary.get("verdict", "pass"))
    invocation: dict[str, Any] = {
        "executionSuccessful": verdict in ("pass", "fail", "not clean"),
        "exitCodeDescription": f"{verdict.upper()}: {summary.get('reason') or 'no findings'}",
    }
    if isinstance(summary.get("exit_code"), int):
        invocation["exitCode"] = summary["exit_code"]
    return invocation


def _summary(summary: dict[str, object], findings: list[Finding]) -> dict[str, object]:
    known: dict[str, object] = {
        key: summary[key]
        for key in ("target", "verdict", "reason", "tests", "requests", "seconds")
        if key in summary
    }
    not_checked = summary.get("not_checked")
    if isinstance(not_checked, dict):
        known["not_checked"] = not_checked.get("count", 0)
    return {**known, "findings": len(findings)}


def _coverage(matrix: Matrix) -> dict[str, Any]:
    """Counts per state, and every cell that was skipped or never reached."""
    grids = matrix_grids(matrix)
    counts = {EXERCISED: 0, FINDING: 0, SKIPPED: 0, UNCHECKED: 0, MISSING: 0}
    missing = []
    for grid in grids:
        for row in grid.rows:
            for column, cell in zip(grid.columns, row.cells, strict=True):
                counts[grid.state(cell)] += 1
                if cell is None:
                    missing.append(f"{grid.api} {row.branch} {column}")
    return {"cells": counts, "notExercised": missing, "skipped": skipped_reasons(grids)}


# -- where an operation lives in the spec ---------------------------------------------------

_PATH_KEY = re.compile(r"^  (/\S*):\s*$")
_METHOD_KEY = re.compile(r"^    (get|put|post|patch|delete|head|options):\s*$")


def _spec_text() -> str:
    from authfuzz.layout import DEFAULT_SPEC

    try:
        return DEFAULT_SPEC.read_text(encoding="utf-8")
    except OSError:
        return ""


def _spec_lines(text: str) -> dict[str, int]:
    """``"POST /api/v1/downloads/os/"`` -> the 1-based line of its method key in the spec."""
    lines: dict[str, int] = {}
    path = None
    for number, line in enumerate(text.splitlines(), 1):
        if match := _PATH_KEY.match(line):
            path = match.group(1)
        elif path is not None and (match := _METHOD_KEY.match(line)):
            lines[f"{match.group(1).upper()} {path}"] = number
        elif line[:1] not in ("", " ", "#"):
            path = None  # left the paths section
    return lines


def _operation_line(operation: str, spec_lines: dict[str, int]) -> int | None:
    """The spec line of an operation label, a template (``{id}``) or a concrete path."""
    method, _, path = operation.partition(" ")
    path = path.split("?", 1)[0].split(" ", 1)[0]
    key = f"{method.upper()} {path}"
    if key in spec_lines:
        return spec_lines[key]
    for label, number in spec_lines.items():
        label_method, _, template = label.partition(" ")
        if label_method != method.upper():
            continue
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return number
    return None
