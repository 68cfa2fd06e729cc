"""Start a testbed in the background and always tear it down.

The child runs ``python -m testbed.serve`` in its own process group on a port
the kernel picks (no race for a "free" port), and reports readiness through a
JSON file. ``stop()`` terminates the whole group and waits, so no process or
port outlives the ``with`` block, whether the body passed, failed or raised.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from testbed.database import ScratchDatabase
from testbed.defects import parse_defects
from testbed.direct import DirectConnection


class TestbedStartError(RuntimeError):
    """The testbed did not come up; the message is the child's own one-line reason."""


@dataclass(frozen=True)
class TestbedInfo:
    __test__ = False  # not a pytest test class, despite the name
    base_url: str
    pid: int
    defects: frozenset[str]
    database: ScratchDatabase
    request_log: Path | None
    # the harness's own reads and plants, one kept connection (testbed/direct.py says why)
    direct: DirectConnection = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "direct", DirectConnection(self.database))

    def logged_requests(self) -> list[dict[str, Any]]:
        """Every request the testbed has answered so far (method, override, path, status)."""
        if self.request_log is None or not self.request_log.exists():
            return []
        lines = self.request_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Testbed:
    """A background testbed; use as a context manager."""

    __test__ = False  # not a pytest test class, despite the name

    defects: Iterable[str] = ()
    database_url: str | None = None
    throttle: bool = False
    record_requests: bool = True
    startup_timeout: float = 60.0
    workers: int = 0  # >0: gunicorn with that many processes (needs PostgreSQL)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _workdir: Path | None = field(default=None, init=False, repr=False)
    info: TestbedInfo | None = field(default=None, init=False)

    def start(self) -> TestbedInfo:
        defects = parse_defects(self.defects)
        self._workdir = Path(tempfile.mkdtemp(prefix="authfuzz-run-"))
        ready_file = self._workdir / "ready.json"
        request_log = self._workdir / "requests.jsonl" if self.record_requests else None
        log_path = self._workdir / "testbed.log"
        command = [
            sys.executable,
            "-m",
            "testbed.serve",
            "--port",
            "0",
            "--defects",
            ",".join(sorted(defects)),
            "--database-url",
            self.database_url
            if self.database_url is not None
            else os.environ.get("DATABASE_URL", ""),
            "--ready-file",
            str(ready_file),
            "--parent-pid",
            str(os.getpid()),
        ]
        if not self.throttle:
            command.append("--no-throttle")
        if self.workers:
            command += ["--workers", str(self.workers)]
        if request_log is not None:
            command += ["--request-log", str(request_log)]
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + self.startup_timeout
        try:
            while not ready_file.exists():
                if self._process.poll() is not None:
                    raise TestbedStartError(
                        _last_error(log_path) or "the testbed exited during start-up"
                    )
                if time.monotonic() > deadline:
                    raise TestbedStartError(
                        f"the testbed did not answer within {self.startup_timeout:.0f}s (log: {log_path})"
                    )
                time.sleep(0.05)
            ready = json.loads(ready_file.read_text(encoding="utf-8"))
        except BaseException:
            self.stop()
            raise
        self.info = TestbedInfo(
            base_url=ready["base_url"],
            pid=ready["pid"],
            defects=defects,
            database=ScratchDatabase.from_json(ready["database"]),
            request_log=request_log,
        )
        return self.info

    def stop(self) -> None:
        if self.info is not None:
            self.info.direct.close()  # before the server drops the database
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self._workdir is not None:
            for path in sorted(self._workdir.glob("*"), reverse=True):
                path.unlink(missing_ok=True)
            self._workdir.rmdir()
            self._workdir = None

    def __enter__(self) -> TestbedInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _last_error(log_path: Path) -> str:
    lines = [
        line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()
    ]
    for line in reversed(lines):
        if line.startswith("authfuzz testbed: error:"):
            return line.removeprefix("authfuzz testbed: error:").strip()
    return lines[-1] if lines else ""
