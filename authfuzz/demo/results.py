"""What one side of the demo produced, and what the pair of sides means: the exit code.

Pure logic, no terminal and no processes: a finished gate's directory (its findings.json and
gate.log) is read back into a ``SideResult``, and the two results alone decide the demo's exit
code and closing line. Kept apart so it can be tested on plain data, without running a gate.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from authfuzz.redaction import Redactor
from authfuzz.verdict import Verdict

CLEAN = "clean"
# The gate's verdicts that judge the testbed; the others (refused, unreachable, incomplete,
# error) say the gate could not finish its work on it.
REACHED = frozenset(v.exit_code for v in (Verdict.PASS, Verdict.FAIL, Verdict.NOT_CLEAN))
LOG_TAIL = 15

# -- one side's result ----------------------------------------------------------------------


@dataclass(frozen=True)
class SideResult:
    """What one gate run produced, as read back from its exit code and findings.json."""

    name: str  # "clean" or the defect switch
    returncode: int | None  # None: the gate never finished (stopped by the demo)
    summary: dict[str, Any] | None = None  # None: no findings.json was written
    findings: tuple[dict[str, Any], ...] = ()
    seconds: float = 0.0  # wall time of the subprocess, testbed start-up included
    tests: dict[str, int] | None = None  # passed / failed / skipped
    report_dir: Path = Path()
    log_tail: tuple[str, ...] = ()  # redacted
    reason: str = ""  # redacted: the gate's own one-line error, when it gave one

    @property
    def ran(self) -> bool:
        """The gate reached a verdict on the testbed (PASS, FAIL, NOT CLEAN) and wrote
        findings.json."""
        return self.summary is not None and self.returncode in REACHED

    @property
    def not_clean(self) -> bool:
        """Nothing found, but not every check reached its verdict."""
        return self.ran and self.returncode == Verdict.NOT_CLEAN.exit_code

    @property
    def why(self) -> str:
        """The gate's own reason for its verdict, as findings.json has it (redacted there)."""
        return str((self.summary or {}).get("reason") or "")

    @property
    def passed(self) -> bool:
        return self.ran and self.returncode == 0 and not self.findings

    @property
    def is_clean(self) -> bool:
        return self.name == CLEAN


def describe_defect(name: str) -> str:
    """How the closing line names a defect."""
    return "Feb-2026 bypass" if name == "guest-fallthrough" else f"{name} defect"


def verdict(clean: SideResult, defect: SideResult) -> tuple[int, str]:
    """The demo's exit code and closing line, from the two sides' results alone."""
    missing = [side for side in (clean, defect) if not side.ran]
    if missing:
        which = " and ".join(side_name(side) for side in missing)
        return 3, f"the gate could not run against {which}: see its gate.log above."
    problems = []
    if not clean.passed:
        if clean.findings:
            problems.append(
                f"the clean testbed had {count(len(clean.findings), 'finding')} (false positives)"
            )
        elif clean.not_clean:
            why = f" ({clean.why})" if clean.why else ""
            problems.append(f"the clean testbed ended NOT CLEAN{why}")
        else:
            problems.append(
                f"the clean testbed failed the gate (exit {clean.returncode}) without findings"
            )
    if not (defect.returncode == 1 and defect.findings):
        problems.append(f"the gate missed the {describe_defect(defect.name)}")
    if problems:
        return 1, "demonstration failed: " + "; ".join(problems) + "."
    return 0, f"authfuzz caught the {describe_defect(defect.name)} and passed the clean testbed."


def side_name(side: SideResult) -> str:
    """How a sentence names a side: "the clean testbed", "the testbed with DEFECT"."""
    return "the clean testbed" if side.is_clean else f"the testbed with {side.name}"


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def pick_reproduction(findings: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The finding to show in full: a wrong-key read-back if any, else a fuzzed one, else any;
    among those, one whose curl line pastes (a near-miss key has none: it replays from its
    PoC file) before one that does not."""
    from authfuzz.client.rendering import DERIVED

    def first(*conditions: Any) -> dict[str, Any] | None:
        return next((f for f in findings if all(c(f) for c in conditions)), None)

    def pastes(f: dict[str, Any]) -> bool:
        return f.get("curl") != DERIVED

    def read_back(f: dict[str, Any]) -> bool:
        return f.get("oracle") == "read-back"

    def wrong_key(f: dict[str, Any]) -> bool:
        return f.get("branch") == "wrong-key"

    def not_a_poc(f: dict[str, Any]) -> bool:
        return not str(f.get("branch", "")).startswith("poc:")

    return (
        first(read_back, wrong_key, pastes)
        or first(read_back, not_a_poc, pastes)
        or first(read_back, wrong_key)
        or first(read_back, not_a_poc)
        or (findings[0] if findings else None)
    )


# -- reading a finished run -----------------------------------------------------------------


def read_side(
    name: str,
    directory: Path,
    shown: Path,
    returncode: int | None,
    seconds: float,
    redactor: Redactor,
) -> SideResult:
    """Parse ``directory``'s findings.json and gate.log; ``shown`` is the path the user sees."""
    summary: dict[str, Any] | None = None
    findings: tuple[dict[str, Any], ...] = ()
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        document = json.loads((directory / "findings.json").read_text(encoding="utf-8"))
        raw_summary, raw_findings = document.get("summary"), document.get("findings")
        if isinstance(raw_summary, dict) and isinstance(raw_findings, list):
            summary = raw_summary
            findings = tuple(f for f in raw_findings if isinstance(f, dict))
    log_lines = _log_lines(directory / "gate.log")
    tests = _tests(summary)
    result = SideResult(
        name=name,
        returncode=returncode,
        summary=summary,
        findings=findings,
        seconds=seconds,
        tests=tests,
        report_dir=shown,
    )
    if result.ran:
        return result
    tail = tuple(redactor.redact(line) for line in log_lines[-LOG_TAIL:])
    return replace(result, log_tail=tail, reason=redactor.redact(_reason(log_lines)))


def _reason(log_lines: list[str]) -> str:
    """The gate's own one-line error: a ``pytest.exit`` message or ``authfuzz run: error:``."""
    for line in reversed(log_lines):
        for marker in ("Exit: authfuzz: ", "authfuzz run: error: "):
            _, found, rest = line.partition(marker)
            if found:
                return rest.strip().rstrip("!").strip()
    return ""


def _log_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _tests(summary: dict[str, Any] | None) -> dict[str, int] | None:
    """Test counts from the summary ``authfuzz run`` writes (None when it wrote none)."""
    counts = (summary or {}).get("tests")
    if not isinstance(counts, dict):
        return None
    return {k: int(counts.get(k) or 0) for k in ("passed", "failed", "skipped")}
