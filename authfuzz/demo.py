"""``authfuzz demo``: the gate against the clean testbed and a broken one, side by side.

A fresh checkout should be able to show, in one command and about a minute, what authfuzz is
for: the same gate run twice, once against the embedded testbed as python.org's HEAD behaves
(it must pass with zero findings) and once with a historical defect switched on (by default
``guest-fallthrough``, the February 2026 bypass, which it must catch). A gate that fails the
clean testbed or passes the broken one has demonstrated nothing, so the demo's exit code is
about the pair: 0 when clean passed and the defect was caught, 1 when either half went wrong,
2 for a usage or configuration error, 3 when a gate could not run at all (the testbed did not
start, the time limit passed).

Each gate is a real ``authfuzz run`` in a subprocess (its own process group, its output in
``gate.log`` next to its reports), so the demo shows exactly what ``authfuzz run`` would
conclude. The two run at once, one pytest process each. Anything printed that comes from a
run (findings, the tail of a log) goes through the redactor first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import authfuzz
from authfuzz.redaction import Redactor

PROG = "authfuzz demo"
REPO = Path(authfuzz.__file__).resolve().parent.parent
DEFAULT_DEFECT = "guest-fallthrough"
CLEAN = "clean"
COLUMN = 38  # two columns and " | " fit in 80
LOG_TAIL = 15
NBSP = "\u00a0"  # keeps an item of a cell on one line when wrapping
GRACE = 30.0  # seconds a gate gets to tear its testbed down after SIGINT
POLL = 0.1
TTY_EVERY = 0.5
PLAIN_EVERY = 10.0
# Files a previous demo run may have left in a side's directory; removed before a run so an
# old findings.json is never read as this run's result.
_REPORT_FILES = ("findings.json", "findings.md", "findings.sarif", "report.html", "gate.log")


class UsageError(Exception):
    """A problem with the command line or the checkout; one line, exit code 2."""


class _Terminated(Exception):
    """SIGTERM arrived while the gates ran: stop them as for Ctrl-C."""


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
        """The gate reached a verdict: exit 0 or 1 and a findings.json."""
        return self.summary is not None and self.returncode in (0, 1)

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
        which = " and ".join(_side_name(side) for side in missing)
        return 3, f"the gate could not run against {which}: see its gate.log above."
    problems = []
    if not clean.passed:
        if clean.findings:
            problems.append(
                f"the clean testbed had {_count(len(clean.findings), 'finding')} (false positives)"
            )
        else:
            problems.append(
                f"the clean testbed failed the gate (exit {clean.returncode}) without findings"
            )
    if not (defect.returncode == 1 and defect.findings):
        problems.append(f"the gate missed the {describe_defect(defect.name)}")
    if problems:
        return 1, "demonstration failed: " + "; ".join(problems) + "."
    return 0, f"authfuzz caught the {describe_defect(defect.name)} and passed the clean testbed."


def _side_name(side: SideResult) -> str:
    return "the clean testbed" if side.is_clean else f"the testbed with {side.name}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- reading a finished run -----------------------------------------------------------------

_PYTEST_TOTALS = re.compile(r"^=+ (?P<body>.*\d+ (?:passed|failed|skipped|error).*) in [\d.]+s")
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


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
    tests = _tests(summary, log_lines)
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


def _tests(summary: dict[str, Any] | None, log_lines: list[str]) -> dict[str, int] | None:
    """Test counts from the summary if it has them, else from pytest's last line."""
    counts = (summary or {}).get("tests")
    if isinstance(counts, dict):
        with contextlib.suppress(TypeError, ValueError):
            return {k: int(counts.get(k) or 0) for k in ("passed", "failed", "skipped")}
    for line in reversed(log_lines[-40:]):
        match = _PYTEST_TOTALS.match(line.strip())
        if match:
            found = {"passed": 0, "failed": 0, "skipped": 0}
            for number, word in _PYTEST_COUNT.findall(match.group("body")):
                key = "failed" if word.startswith("error") else word
                found[key] += int(number)
            return found
    return None


# -- display --------------------------------------------------------------------------------


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


def _column(side: SideResult) -> list[str]:
    lines = _header(side)
    lines.append("-" * COLUMN)
    if not side.ran:
        lines += _cell("verdict", "DID NOT RUN")
    elif side.findings:
        lines += _cell("verdict", f"FAIL: {_count(len(side.findings), 'finding')}")
    else:
        lines += _cell("verdict", "PASS" if side.returncode == 0 else "FAIL: a check failed")
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


def pick_reproduction(findings: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The finding to show in full: a wrong-key read-back if any, else a fuzzed one, else any."""

    def first(*conditions: Any) -> dict[str, Any] | None:
        return next((f for f in findings if all(c(f) for c in conditions)), None)

    return (
        first(lambda f: f.get("oracle") == "read-back", lambda f: f.get("branch") == "wrong-key")
        or first(
            lambda f: f.get("oracle") == "read-back",
            lambda f: not str(f.get("branch", "")).startswith("poc:"),
        )
        or (findings[0] if findings else None)
    )


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
    lines = [f"Reproduction of the {'bypass' if bypass else 'finding'} ({_side_name(side)}):"]
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


# -- running the two gates ------------------------------------------------------------------


@dataclass
class _Gate:
    name: str
    directory: Path  # absolute
    shown: Path  # as the user gave it
    process: subprocess.Popen[bytes]
    started: float
    ended: float | None = None
    returncode: int | None = None

    def poll(self) -> bool:
        if self.ended is None and self.process.poll() is not None:
            self.ended = time.monotonic()
            self.returncode = self.process.returncode
        return self.ended is not None

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started


def _start_gate(name: str, directory: Path, shown: Path, defect: str | None) -> _Gate:
    directory.mkdir(parents=True, exist_ok=True)
    _clear_previous(directory)
    command = [
        sys.executable,
        "-m",
        "authfuzz.cli",
        "run",
        "--target",
        "testbed",
        "--targets-file",
        str(REPO / "targets.toml"),
        "--profile",
        "ci",
        "--report-dir",
        str(directory),
    ]
    if defect:
        command += ["--defects", defect]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONUNBUFFERED"] = "1"
    with open(directory / "gate.log", "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: Ctrl-C reaches it only through us
            env=env,
        )
    return _Gate(name, directory, shown, process, time.monotonic())


def _clear_previous(directory: Path) -> None:
    from authfuzz.poc.export import EXPORT_MARKER

    for name in _REPORT_FILES:
        (directory / name).unlink(missing_ok=True)
    for old in (directory / "pocs").glob("*.toml"):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            with old.open(encoding="utf-8") as handle:
                exported = handle.readline().startswith(EXPORT_MARKER)
            if exported:
                old.unlink()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux /proc; elsewhere none are found)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_gates(gates: Sequence[_Gate]) -> None:
    """Stop every running gate and its testbed; bounded in time.

    SIGINT first: pytest treats it as Ctrl-C and its session teardown stops the testbed (which
    runs in a process group of its own). A gate that does not finish within GRACE is killed,
    and so is every process it started, the testbed included.
    """
    running = [g for g in gates if not g.poll()]
    for gate in running:
        _signal_group(gate.process.pid, signal.SIGINT)
    deadline = time.monotonic() + GRACE
    while any(not g.poll() for g in running) and time.monotonic() < deadline:
        time.sleep(POLL)
    for gate in running:
        if gate.poll():
            continue
        leftovers = _descendants(gate.process.pid)
        _signal_group(gate.process.pid, signal.SIGKILL)
        for pid in leftovers:
            _signal_group(pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            gate.process.wait(timeout=5)
        time.sleep(2)
        for pid in leftovers:
            _signal_group(pid, signal.SIGKILL)
        gate.poll()


class Progress:
    """One rewritten line on a terminal; otherwise a line per finished side and a heartbeat."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream, self.tty = stream, tty
        self.last = time.monotonic()
        self.reported: set[str] = set()
        self.width = 0

    def update(self, gates: Sequence[_Gate], now: float) -> None:
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


@contextlib.contextmanager
def _sigterm_as_exception() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_gates(
    sides: Sequence[tuple[str, Path, Path, str | None]], timeout: float, progress: Progress
) -> tuple[list[_Gate], bool]:
    """Start every side's gate, wait for all of them; (gates, finished within ``timeout``)."""
    gates: list[_Gate] = []
    try:
        for name, directory, shown, defect in sides:
            gates.append(_start_gate(name, directory, shown, defect))
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            done = all(g.poll() for g in gates)
            progress.update(gates, now)
            if done:
                return gates, True
            if now > deadline:
                progress.finish()
                stop_gates(gates)
                return gates, False
            time.sleep(POLL)
    except BaseException:
        progress.finish()
        # A second Ctrl-C must not cut the teardown short; stop_gates is bounded anyway.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stop_gates(gates)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise


# -- the command ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Start the embedded testbed twice, clean and with a historical defect "
        "(by default guest-fallthrough, the Feb-2026 bypass), run the full gate against both at "
        "once, and show the two verdicts side by side with the reproduction of what was found.",
        epilog="exit codes: 0 clean passed and the defect was caught, 1 the demonstration "
        "failed (a finding on clean, or the defect missed), 2 usage or configuration error, "
        "3 a gate could not run (testbed start-up, time limit).",
    )
    parser.add_argument(
        "--defect",
        default=DEFAULT_DEFECT,
        help=f"the defect switch to demonstrate (default: {DEFAULT_DEFECT}; "
        "'authfuzz testbed --help' lists them)",
    )
    parser.add_argument(
        "--report-dir",
        default="authfuzz-demo",
        help="where both runs' reports go, in clean/ and DEFECT/ (default: authfuzz-demo)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="stop both gates after this many seconds (default: 300)",
    )
    return parser


def _checked(args: argparse.Namespace) -> Redactor:
    """Validate the command line and the checkout; the redactor for the testbed's secrets."""
    from testbed.defects import DEFECTS, UnknownDefectError, parse_defects

    try:
        names = parse_defects(args.defect)
    except UnknownDefectError as error:
        raise UsageError(str(error)) from None
    if len(names) != 1:
        valid = ", ".join(d.name for d in DEFECTS)
        raise UsageError(f"--defect takes exactly one switch; valid defects are: {valid}")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    targets = REPO / "targets.toml"
    if not targets.is_file() or not (REPO / "suites").is_dir():
        raise UsageError(
            f"{REPO} has no targets.toml or suites/: the demo runs from a checkout of authfuzz"
        )
    from authfuzz.targets import TargetsFileError, load_target

    try:
        principals = load_target(targets, "testbed").principals
    except TargetsFileError as error:
        raise UsageError(str(error)) from None
    return Redactor.for_principals(principals)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        redactor = _checked(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    defect: str = args.defect.strip()
    shown_root = Path(args.report_dir)
    root = shown_root.resolve()
    sides: list[tuple[str, Path, Path, str | None]] = [
        (CLEAN, root / CLEAN, shown_root / CLEAN, None),
        (defect, root / defect, shown_root / defect, defect),
    ]
    tty = sys.stdout.isatty()
    print(
        f"{PROG}: two testbeds, clean and with {defect}; the full gate against each, "
        "at once (about a minute)",
        flush=True,
    )
    progress = Progress(sys.stdout, tty)
    try:
        with _sigterm_as_exception():
            gates, finished = run_gates(sides, args.timeout, progress)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; both gates and their testbeds stopped", file=sys.stderr)
        return 130
    except _Terminated:
        print(f"{PROG}: terminated; both gates and their testbeds stopped", file=sys.stderr)
        return 143
    except OSError as error:
        print(f"{PROG}: error: cannot start the gate: {error}", file=sys.stderr)
        return 3
    progress.finish()
    if not finished:
        print(
            f"{PROG}: the gates did not finish within {args.timeout:.0f} s (--timeout); both stopped "
            f"(logs: {shown_root / CLEAN / 'gate.log'}, {shown_root / defect / 'gate.log'})"
        )
        return 3

    results = [
        read_side(g.name, g.directory, g.shown, g.returncode, g.seconds, redactor) for g in gates
    ]
    clean, broken = results
    code, closing = verdict(clean, broken)
    print()
    print(side_by_side(clean, broken))
    for side in results:
        if not side.ran:
            print()
            print(f"The gate did not run against {_side_name(side)}.")
            if side.reason:
                print(f"  reason: {side.reason}")
            print(f"  end of {side.report_dir / 'gate.log'}:")
            print("\n".join(f"    {line}" for line in side.log_tail) or "    (empty)")
    cwd_is_repo = Path.cwd().resolve() == REPO
    hint = "" if cwd_is_repo else f" --targets-file {REPO / 'targets.toml'}"
    for side, gate in zip(results, gates, strict=True):
        lines = reproduction(side, gate.directory, redactor, hint) if side.ran else []
        if lines and (not side.is_clean or code == 1):
            print()
            print("\n".join(lines))
    print()
    print("Reports:")
    width = max(len(side.name) for side in results) + 1
    for side, gate in zip(results, gates, strict=True):
        if not side.ran:
            print(f"  {side.name + ':':<{width}} none ({side.report_dir / 'gate.log'})")
            continue
        print(f"  {side.name + ':':<{width}} {side.report_dir / 'report.html'}")
        pocs = sorted((gate.directory / "pocs").glob("*.toml"))
        if pocs:
            print(f"  {'':<{width}} {side.report_dir / 'pocs'}/ ({_count(len(pocs), 'PoC file')})")
    print()
    print(closing)
    return code
