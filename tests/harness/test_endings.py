"""Every way a run ends, in every output: one verdict, one set of counts, nothing stale.

Each row is a real ``authfuzz run`` (a subprocess, as CI runs it) against a real server on
loopback: the embedded testbed, a server that answers 404 everywhere, one that answers 200
with HTML everywhere, a testbed that refuses the trusted principal's token, a port where
nothing listens; stopped by SIGINT or SIGTERM at a chosen moment, by ``--max-seconds``, or
by a killed xdist worker. For each ending the same properties hold:

- the exit code is the verdict's, and the end screen's headline says it exactly once;
- ``findings.json``, ``findings.md``, ``report.html``, ``findings.sarif``, ``requests.json``
  and the JUnit file all carry that verdict, and the same counts;
- no traceback, no secret of any principal anywhere, no ledger directory left in ``$TMPDIR``,
  and no report of an earlier run left in the report directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from authfuzz.reports.writer import REPORT_FILES
from authfuzz.verdict import Verdict
from testbed.principals import ACCOUNTS, targets_toml
from testbed.runner import Testbed
from tests.harness.gate import REPO

pytestmark = pytest.mark.slow

SECRETS = [s for a in ACCOUNTS for s in (a.api_key, a.token, a.password)]
QUICK = ("--", "-k", "test_identity_probes or test_branch_never_writes")


@dataclass(frozen=True)
class Ended:
    code: int
    output: str
    reports: Path
    junit: Path
    tmpdir: Path

    def summary(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.reports / "findings.json").read_text())
        summary = data["summary"]
        assert isinstance(summary, dict)
        return summary


def _launch(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path, Path, Path]:
    reports, junit, tmpdir = tmp_path / "r", tmp_path / "junit.xml", tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    reports.mkdir(exist_ok=True)
    (reports / "findings.json").write_text('{"summary": {"verdict": "pass"}}')  # a stale PASS
    if "-n" in args and args[args.index("-n") + 1] == "0":  # one process: no -n at all
        at = args.index("-n")
        args = args[:at] + args[at + 2 :]
    extra = [] if "--" in args else ["--"]
    command = [
        sys.executable, "-m", "authfuzz.cli", "run", "--report-dir", str(reports),
        "--progress-every", "1", *args, *extra, f"--junitxml={junit}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AUTHFUZZ_"))}
    env["TMPDIR"] = str(tmpdir)
    env["AUTHFUZZ_JOURNAL"] = str(tmp_path / "spend.json")
    # An internal error (a bug, never a verdict) then shows its masked traceback in the
    # failure: one seen once under a mid-run SIGINT showed only its last line.
    env["AUTHFUZZ_DEBUG"] = "1"
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a signal for the run alone, as CI sends it
    )
    return process, reports, junit, tmpdir


def run(
    tmp_path: Path,
    *args: str,
    when: str | None = None,
    then: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Ended:
    """Run to the end; once a line matching ``when`` is printed, call ``then`` (a signal)."""
    process, reports, junit, tmpdir = _launch(tmp_path, *args)
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 600
    fired = when is None
    for line in process.stdout:
        lines.append(line)
        if not fired and when is not None and re.search(when, line):
            fired = True
            assert then is not None
            then(process)
        assert time.monotonic() < deadline, "".join(lines[-40:])
    code = process.wait(timeout=120)
    assert fired, f"never saw {when!r}:\n" + "".join(lines[-40:])
    return Ended(code, "".join(lines), reports, junit, tmpdir)


def send(sig: signal.Signals) -> Callable[[subprocess.Popen[str]], None]:
    return lambda process: process.send_signal(sig)


def kill_a_worker(process: subprocess.Popen[str]) -> None:
    """SIGKILL one xdist worker (a child of the run's process), as the OOM killer would."""
    children = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert children, "no worker process"
    os.kill(int(children[0]), signal.SIGKILL)


# -- servers that are not the API ----------------------------------------------------------


class _Html(BaseHTTPRequestHandler):
    status = 200

    def _answer(self) -> None:
        body = b"<!DOCTYPE html><html><body>Welcome</body></html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


class _NotFound(_Html):
    status = 404


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _targets(tmp_path: Path, base_url: str, wrong_token: bool = False) -> tuple[str, ...]:
    text = targets_toml("there", base_url, "staging")
    if wrong_token:
        admin = next(a for a in ACCOUNTS if a.name == "admin")
        text = text.replace(admin.token, "0" * 40)
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return ("--targets-file", str(path), "--target", "there")


# -- the properties every ending shares ----------------------------------------------------


def assert_one_story(ended: Ended, verdict: Verdict) -> dict[str, object]:
    """The verdict, its exit code and one set of counts, in every output; nothing leaked."""
    output = ended.output
    assert ended.code == verdict.exit_code, output[-3000:]
    assert output.count(f"authfuzz: {verdict.label},") == 1, output[-3000:]
    for word in ("Traceback", "INTERNALERROR"):
        assert word not in output, output[-3000:]
    summary = ended.summary()
    assert summary["verdict"] == verdict.value and summary["exit_code"] == verdict.exit_code
    assert sorted(p.name for p in ended.reports.iterdir() if p.is_file()) == sorted(REPORT_FILES)
    reports = ended.reports
    assert (reports / "findings.md").read_text().startswith(f"# authfuzz report: {verdict.label}")
    assert f'id="verdict">{verdict.label}</p>' in (reports / "report.html").read_text()
    sarif = json.loads((reports / "findings.sarif").read_text())["runs"][0]
    assert sarif["invocations"][0]["exitCode"] == verdict.exit_code
    # One result per finding identity, each saying how many findings it stands for.
    assert sum(r["properties"]["occurrences"] for r in sarif["results"]) == summary["findings"]
    requests = json.loads((reports / "requests.json").read_text())
    assert requests["verdict"] == verdict.value
    suite = ET.parse(ended.junit).getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    tests = summary["tests"]
    assert isinstance(tests, dict)
    assert properties["authfuzz.verdict"] == verdict.label
    assert properties["authfuzz.findings"] == str(summary["findings"])
    assert properties["authfuzz.tests_failed"] == str(tests["failed"])
    assert properties["authfuzz.not_run"] == str(tests["not_run"])
    everything = output + ended.junit.read_text()
    everything += "".join(p.read_text() for p in reports.rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret not in everything
    assert not list(ended.tmpdir.glob("authfuzz-ledger-*")), list(ended.tmpdir.iterdir())
    return summary


# -- the endings ---------------------------------------------------------------------------


def test_a_normal_pass(tmp_path: Path) -> None:
    summary = assert_one_story(run(tmp_path, *QUICK), Verdict.PASS)
    assert summary["tests"]["not_run"] == 0  # type: ignore[index]


def test_findings(tmp_path: Path) -> None:
    ended = run(tmp_path, "--defects", "guest-fallthrough", *QUICK)
    summary = assert_one_story(ended, Verdict.FAIL)
    assert summary["findings"] and list((ended.reports / "pocs").glob("*.toml"))


@pytest.mark.parametrize(
    ("sig", "workers", "when"),
    [
        (signal.SIGINT, "0", r"authfuzz: \d+/\d+ tests"),  # mid-run
        (signal.SIGTERM, "0", r"authfuzz: \d+/\d+ tests"),
        (signal.SIGTERM, "2", r"authfuzz: \d+/\d+ tests"),
        (signal.SIGINT, "0", r"^authfuzz: target "),  # while starting: the testbed, collection
    ],
    ids=["sigint-mid-run", "sigterm-mid-run", "sigterm-two-workers", "sigint-start-up"],
)
def test_a_signal_ends_incomplete_with_every_report(
    tmp_path: Path, sig: signal.Signals, workers: str, when: str
) -> None:
    ended = run(tmp_path, "-n", workers, when=when, then=send(sig))
    summary = assert_one_story(ended, Verdict.INCOMPLETE)
    assert sig.name in str(summary["reason"])
    tests = summary["tests"]
    assert isinstance(tests, dict)
    assert tests["collected"] is None or tests["not_run"] > 0, tests


def test_a_killed_worker_ends_incomplete(tmp_path: Path) -> None:
    ended = run(tmp_path, "-n", "2", when=r"authfuzz: \d+/\d+ tests", then=kill_a_worker)
    summary = assert_one_story(ended, Verdict.INCOMPLETE)
    assert "died" in str(summary["reason"])


def test_max_seconds_ends_incomplete(tmp_path: Path) -> None:
    summary = assert_one_story(run(tmp_path, "--max-seconds", "5"), Verdict.INCOMPLETE)
    assert "--max-seconds" in str(summary["reason"])


def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    with serving(_Html) as base_url:
        pass  # the port is closed again: nothing listens there now
    summary = assert_one_story(run(tmp_path, *_targets(tmp_path, base_url)), Verdict.UNREACHABLE)
    assert "unreachable" in str(summary["reason"])


@pytest.mark.parametrize(
    ("handler", "words"),
    [(_Html, "answered 200 text/html, not a JSON list"), (_NotFound, "answered 404 (text/html)")],
    ids=["html-200", "not-found"],
)
def test_a_server_that_is_not_the_api_is_one_clear_line(
    tmp_path: Path, handler: type[BaseHTTPRequestHandler], words: str
) -> None:
    with serving(handler) as base_url:
        ended = run(tmp_path, *_targets(tmp_path, base_url))
    summary = assert_one_story(ended, Verdict.ERROR)
    assert words in str(summary["reason"]) and "base_url" in str(summary["reason"])


def test_a_refused_trusted_token_names_the_principal(tmp_path: Path) -> None:
    with Testbed() as info:
        ended = run(tmp_path, *_targets(tmp_path, info.base_url, wrong_token=True))
    summary = assert_one_story(ended, Verdict.ERROR)
    assert "principal 'admin'" in str(summary["reason"]) and "401" in str(summary["reason"])


def test_a_refused_configuration_still_writes_its_verdict(tmp_path: Path) -> None:
    process, reports, _, _ = _launch(tmp_path, "--target", "no-such-target")
    output, _ = process.communicate(timeout=120)
    assert process.returncode == Verdict.REFUSED.exit_code, output
    summary = json.loads((reports / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "refused" and "no-such-target" in summary["reason"]
    assert output.count("authfuzz run: error:") == 1 and "Traceback" not in output
