"""Starting and stopping testbeds: nothing outlives them, and every start-up failure is one
clear line on stderr with exit code 2 (never a traceback)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests

from testbed import runner
from testbed.database import ScratchDatabase
from testbed.runner import Testbed

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

UNREACHABLE_POSTGRES = "postgresql://nobody@127.0.0.1:1/x"
STOP_WITHIN = 10.0  # seconds


class _BodyFailed(Exception):
    pass


def _port(base_url: str) -> int:
    port = urlsplit(base_url).port
    assert port is not None
    return port


def _refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); the runner reaps its child, so this is a real leak.
    return False


def _scratch_database_gone(database: ScratchDatabase) -> bool:
    if database.server is None:
        return not Path(database.name).exists()
    import psycopg

    server = database.server
    with psycopg.connect(**server.connect_kwargs(server.maintenance_db)) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database.name,))
        return found.fetchone() is None


def _assert_nothing_left(info: TestbedInfo) -> None:
    assert _process_gone(info.pid), f"testbed process {info.pid} is still alive"
    with pytest.raises(ProcessLookupError):
        os.killpg(info.pid, 0)  # nor anything else in its process group
    assert _refuses_connections(_port(info.base_url))
    assert _scratch_database_gone(info.database)
    assert info.request_log is not None and not info.request_log.parent.exists()


def _alive(info: TestbedInfo) -> None:
    response = requests.get(f"{info.base_url}/api/v1/downloads/os/1/", timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "failure",
    [_BodyFailed, KeyboardInterrupt],
    ids=["body-raises", "body-interrupted"],
)
def test_background_testbed_leaves_no_process_port_or_database(
    failure: type[BaseException],
) -> None:
    bed = Testbed()
    seen: list[TestbedInfo] = []
    leaving: list[float] = []

    def body() -> None:
        with bed as info:
            seen.append(info)
            _alive(info)  # a request just before the stop: the server is busy closing it
            leaving.append(time.monotonic())
            raise failure("the test body failed")

    with pytest.raises(failure):
        body()
    # The runner escalates to SIGKILL after 15 s; a clean SIGTERM exit takes well under that.
    assert time.monotonic() - leaving[0] < STOP_WITHIN
    (info,) = seen
    _assert_nothing_left(info)


def test_background_testbed_passing_body_right_away_then_stopped_again() -> None:
    """The SIGTERM may arrive as soon as readiness is announced; a second stop is a no-op."""
    bed = Testbed()
    with bed as info:
        started = time.monotonic()
    bed.stop()
    assert time.monotonic() - started < STOP_WITHIN
    _assert_nothing_left(info)


# --------------------------------------------------------------------------------------------
# the foreground server (python -m testbed.serve)
# --------------------------------------------------------------------------------------------


def _serve(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "testbed.serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("authfuzz testbed: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_foreground_server_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    ready_file = tmp_path / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "testbed.serve", "--port", "0", "--ready-file", str(ready_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready_file.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the testbed did not start"
            time.sleep(0.05)
        ready = json.loads(ready_file.read_text())
        assert ready["pid"] == process.pid
        response = requests.get(ready["base_url"] + "/api/v2/downloads/os/", timeout=30)
        assert response.status_code == 200
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "authfuzz testbed ready:" in stdout
    assert stdout.rstrip().endswith("authfuzz testbed stopped.")
    assert _refuses_connections(_port(ready["base_url"]))
    assert _scratch_database_gone(ScratchDatabase.from_json(ready["database"]))


def test_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _serve("--port", str(port))
    _assert_one_line_error(result, f"port {port} on 127.0.0.1 is already in use")


def test_port_out_of_range_is_one_line_and_exit_2() -> None:
    _assert_one_line_error(_serve("--port", "70000"), "out of range")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://user@127.0.0.1/db", "bad database URL"),
        ("not a url", "bad database URL"),
        ("postgresql://127.0.0.1:notaport/db", "bad database URL"),
        (UNREACHABLE_POSTGRES, "PostgreSQL at postgresql://nobody@127.0.0.1:1 is unreachable"),
    ],
    ids=["wrong-scheme", "no-scheme", "bad-port", "unreachable-postgres"],
)
def test_bad_database_url_is_one_line_and_exit_2(url: str, fragment: str) -> None:
    _assert_one_line_error(_serve("--port", "0", "--database-url", url), fragment)


def test_background_start_failure_is_the_child_s_one_line_reason() -> None:
    bed = Testbed(database_url=UNREACHABLE_POSTGRES)
    with pytest.raises(runner.TestbedStartError) as error:
        bed.start()
    message = str(error.value)
    assert message.startswith("PostgreSQL at postgresql://nobody@127.0.0.1:1 is unreachable")
    assert "\n" not in message
    assert bed.info is None
    assert bed._process is None and bed._workdir is None
