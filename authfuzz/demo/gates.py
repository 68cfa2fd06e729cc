"""The two ``authfuzz run`` subprocesses: starting them, watching them, always stopping them.

A demo interrupted by Ctrl-C, SIGTERM or its time limit must not leave a gate or a testbed
behind, so this module owns every process the demo starts: each gate runs in a process group
of its own, is stopped with SIGINT first (pytest's teardown stops its testbed) and killed,
with every descendant found in /proc, if it does not finish in time. No terminal output here:
progress is reported to a ``Watcher``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Protocol

from authfuzz.layout import REPO, TARGETS_FILE

GRACE = 30.0  # seconds a gate gets to tear its testbed down after SIGINT
POLL = 0.1


class Terminated(Exception):
    """SIGTERM arrived while the gates ran: stop them as for Ctrl-C."""


@dataclass
class Gate:
    """One running (or finished) ``authfuzz run`` subprocess and where its reports go."""

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


class Watcher(Protocol):
    """What ``run_gates`` reports progress to (the display's ``Progress``)."""

    def update(self, gates: Sequence[Gate], now: float) -> None: ...

    def finish(self) -> None: ...


def _start_gate(name: str, directory: Path, shown: Path, defect: str | None) -> Gate:
    directory.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "authfuzz.cli",
        "run",
        "--target",
        "testbed",
        "--targets-file",
        str(TARGETS_FILE),
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
    return Gate(name, directory, shown, process, time.monotonic())


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


def stop_gates(gates: Sequence[Gate]) -> None:
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


@contextlib.contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated`` (so the gates are stopped on the way out)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_gates(
    sides: Sequence[tuple[str, Path, Path, str | None]], timeout: float, progress: Watcher
) -> tuple[list[Gate], bool]:
    """Start every side's gate, wait for all of them; (gates, finished within ``timeout``)."""
    gates: list[Gate] = []
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
