"""What the demo prints: the two verdicts side by side, a reproduction, the progress line.

Terminal output only, kept apart from deciding (``results``) and running (``gates``): every
function here turns results already read into lines of text, 80 columns wide, and everything
in them that comes from a run has been redacted before it gets here.
"""

from __future__ import annotations

import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from authfuzz.demo.gates import Gate
from authfuzz.demo.results import SideResult, count, pick_reproduction, side_name
from authfuzz.redaction import Redactor

COLUMN = 38  # two columns and " | " fit in 80
NBSP = "\u00a0"  # keeps an item of a cell on one line when wrapping
TTY_EVERY = 0.5
PLAIN_EVERY = 10.0

# -- the two verdicts -----------------------------------------------------------------------


def _cell(label: str, value: str | Sequence[str]) -> list[str]:
    """One labelled entry of a column, wrapped to the column's width.

    ``value`` may be a list of items, joined with commas and wrapped only between items.
    """
    head = f"{label:<10}" if label else ""
    text = value if isinstance(value, str) else ", ".join(i.replace(" ", NBSP) for i in value)
    lines = textwrap.wrap(
        text,
        width=COLUMN,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_on_hyphens=False,
    )
    return [line.replace(NBSP, " ") for line in lines] or [head.rstrip()]


def _header(side: SideResult) -> list[str]:
    if side.is_clean:
        return ["clean testbed", "(as python.org HEAD)"]
    from testbed.defects import DEFECTS

    when = "Feb 2026" if side.name == "guest-fallthrough" else ""
    if not when:
        reference = next((d.reference for d in DEFECTS if d.name == side.name), "")
        when = reference.replace("fixed by ", "")
    return _cell("", f"testbed with {side.name}") + _cell("", f"({when})" if when else "")


def _verdict_without_findings(side: SideResult) -> str:
    if side.returncode == 0:
        return "PASS"
    return "NOT CLEAN: see its reports" if side.not_clean else "FAIL: a check failed"


def _column(side: SideResult) -> list[str]:
    lines = _header(side)
    lines.append("-" * COLUMN)
    if not side.ran:
        lines += _cell("verdict", "DID NOT RUN")
    elif side.findings:
        lines += _cell("verdict", f"FAIL: {count(len(side.findings), 'finding')}")
    else:
        lines += _cell("verdict", _verdict_without_findings(side))
    code = "none (stopped)" if side.returncode is None else str(side.returncode)
    lines += _cell("exit code", code)
    if side.tests is not None:
        t = side.tests
        lines += _cell(
            "tests", [f"{t['passed']} passed", f"{t['failed']} failed", f"{t['skipped']} skipped"]
        )
    summary = side.summary or {}
    if isinstance(summary.get("requests"), int):
        lines += _cell("requests", str(summary["requests"]))
    lines += _cell("time", f"{side.seconds:.0f} s")
    if not side.ran:
        return lines
    lines.append("")
    lines += _cell("findings", "" if side.findings else "none")
    groups: dict[str, Counter[str]] = {}
    for finding in side.findings:
        invariant = str(finding.get("invariant", "?"))
        groups.setdefault(invariant, Counter())[str(finding.get("branch", "?"))] += 1
    for invariant, branches in sorted(groups.items()):
        lines += _cell("", f"  {invariant}")
        for branch, n in branches.most_common():
            width = COLUMN - 4 - len(str(n)) - 1
            if len(branch) <= width:
                lines.append(f"    {branch:<{width}} {n}")
            else:  # a long name on lines of its own, the count under its end
                lines += textwrap.wrap(
                    branch, COLUMN, initial_indent="    ", subsequent_indent="    "
                )
                lines.append(f"{n:>{COLUMN}}")
    return lines


def side_by_side(clean: SideResult, defect: SideResult) -> str:
    left, right = _column(clean), _column(defect)
    rows = max(len(left), len(right))
    left += [""] * (rows - len(left))
    right += [""] * (rows - len(right))
    return "\n".join(f"{a:<{COLUMN}} | {b}".rstrip() for a, b in zip(left, right, strict=True))


def not_run(side: SideResult) -> list[str]:
    """Why a side reached no verdict: the gate's own reason, the end of its (redacted) log."""
    lines = [f"The gate did not run against {side_name(side)}."]
    if side.reason:
        lines.append(f"  reason: {side.reason}")
    lines.append(f"  end of {side.report_dir / 'gate.log'}:")
    lines += [f"    {line}" for line in side.log_tail] or ["    (empty)"]
    return lines


# -- the reproduction and the reports -------------------------------------------------------


def _poc_file(finding: dict[str, Any], directory: Path) -> Path | None:
    """The PoC file the gate exported for this finding, if it wrote one."""
    from authfuzz.findings import Finding
    from authfuzz.poc.export import finding_to_poc

    try:
        poc_id, _ = finding_to_poc(Finding.from_dict(finding))
    except Exception:  # not exportable, or a findings.json of another shape: no file to name
        return None
    path = directory / "pocs" / f"{poc_id}.toml"
    return path if path.is_file() else None


def reproduction(
    side: SideResult, directory: Path, redactor: Redactor, targets_hint: str
) -> list[str]:
    finding = pick_reproduction(side.findings)
    if finding is None:
        return []

    def text(key: str, limit: int | None = 400) -> str:
        value = redactor.redact(str(finding.get(key, "")))
        return value if limit is None or len(value) <= limit else value[: limit - 3] + "..."

    bypass = finding.get("invariant") == "no-unauthenticated-write"
    lines = [f"Reproduction of the {'bypass' if bypass else 'finding'} ({side_name(side)}):"]
    lines.append(f"  what:      {text('summary')}")
    labels = [str(label) for label in finding.get("labels") or [] if ":" in str(label)]
    if labels:
        lines.append(f"  attempt:   {redactor.redact(labels[0])}")
    lines.append(f"  request:   {text('request')}")
    lines.append(f"  status:    {text('status')}")
    lines.append(f"  read-back: {text('evidence')}")
    curl = text("curl", None)
    lines.append(f"  curl:      {curl}")
    notes = ["the curl names that run's testbed, which has stopped"]
    if "${AUTHFUZZ_" in curl:
        notes.append("secrets in it are environment variables ($AUTHFUZZ_<PRINCIPAL>_API_KEY ...)")
    if "{redacted}" in curl:
        notes.append("{redacted} stands for a near miss of a real key, never printed")
    lines += [f"             ({note})" for note in notes]
    defects = "" if side.is_clean else f" --defects {side.name}"
    poc = _poc_file(finding, directory)
    pocs = directory / "pocs"
    if poc is not None:
        shown = side.report_dir / "pocs" / poc.name
        lines.append(f"  replay:    authfuzz repro {shown}{defects}{targets_hint}")
        lines.append("             (a fresh testbed, the same request; VULNERABLE or FIXED)")
    elif pocs.is_dir() and any(pocs.glob("*.toml")):
        shown = side.report_dir / "pocs"
        lines.append(f"  replay:    authfuzz repro {shown}/{defects}{targets_hint}")
    return lines


def reports(sides: Sequence[SideResult], directories: Sequence[Path]) -> list[str]:
    """Where each side's reports are; ``directories`` are the sides' real (absolute) paths."""
    lines = ["Reports:"]
    width = max(len(side.name) for side in sides) + 1
    for side, directory in zip(sides, directories, strict=True):
        if not side.ran:
            lines.append(f"  {side.name + ':':<{width}} none ({side.report_dir / 'gate.log'})")
            continue
        lines.append(f"  {side.name + ':':<{width}} {side.report_dir / 'report.html'}")
        pocs = sorted((directory / "pocs").glob("*.toml"))
        if pocs:
            lines.append(
                f"  {'':<{width}} {side.report_dir / 'pocs'}/ ({count(len(pocs), 'PoC file')})"
            )
    return lines


# -- while the gates run --------------------------------------------------------------------


class Progress:
    """One rewritten line on a terminal; otherwise a line per finished side and a heartbeat."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream, self.tty = stream, tty
        self.last = time.monotonic()
        self.reported: set[str] = set()
        self.width = 0

    def update(self, gates: Sequence[Gate], now: float) -> None:
        if self.tty:
            if now - self.last < TTY_EVERY:
                return
            self.last = now
            parts = [
                f"{g.name} done ({g.seconds:.0f} s)"
                if g.ended is not None
                else f"{g.name} ... {g.seconds:.0f} s"
                for g in gates
            ]
            line = "running the gate twice: " + " | ".join(parts)
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
            self.stream.flush()
            return
        for gate in gates:
            if gate.ended is not None and gate.name not in self.reported:
                self.reported.add(gate.name)
                self._line(f"{gate.name}: done in {gate.seconds:.0f} s (exit {gate.returncode})")
                self.last = now
        if now - self.last >= PLAIN_EVERY and any(g.ended is None for g in gates):
            still = ", ".join(f"{g.name} {g.seconds:.0f} s" for g in gates if g.ended is None)
            self._line(f"still running: {still}")
            self.last = now

    def finish(self) -> None:
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
