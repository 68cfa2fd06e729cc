"""No secret on any path: every way a run can end, with pytest told to show everything.

Each run here is a real pytest subprocess with ``-l --tb=long -vv`` (locals of every frame,
long tracebacks, full diffs), JUnit XML and a report directory, and afterwards stdout, stderr,
the JUnit file and every file of the report directory (exported PoCs included) are scanned
for every secret of every principal and for every 8-character fragment of one, ignoring case.

The paths: the gate's own failures (real findings, real tracebacks), the same under network
faults (where Hypothesis used to report a flaky target as ``FlakyFailure`` with every key in
its message), and a hostile module that leaks on purpose, the way a bug in the harness would:
a secret in an assertion message and in locals, in a fixture error, in a flaky Hypothesis
test, in a dataclass diff, in a requests exception's URL, in captured output and logs, in
urllib3's retry warnings, an interrupted run (``KeyboardInterrupt`` with ``--full-trace``) and
the same module under pytest-xdist. Each hostile test also leaves a marker proving the secret
really was on that path (its redacted placeholder), so a scan that finds nothing is not
vacuous.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from authfuzz.targets import load_target
from testbed.runner import Testbed
from tests.faultproxy import FaultMix, FaultProxy
from tests.harness.gate import REPO, GateRun, run_gate, write_targets

pytestmark = pytest.mark.slow

PRINCIPALS = load_target(REPO / "targets.toml", "testbed").principals
SECRETS = PRINCIPALS.secrets()
SHOW_EVERYTHING = ("-l", "--tb=long", "-vv", "-rA")

HOSTILE = """
import logging
import os
import signal
import sys
import time

import pytest
import requests
from hypothesis import given, settings, strategies as st

from authfuzz.client import ApiRequest, Client


def _admin(target):
    return target.principals.by_name("admin")


def test_secret_in_message_and_locals(authfuzz_workbench):
    admin = _admin(authfuzz_workbench.target)
    header = f"ApiKey admin:{admin.api_key}"
    pair = ("Authorization", f"Token {admin.token}")
    raise AssertionError(f"MARK-1 refused {header} and {pair} ({admin.password})")


@pytest.fixture
def leaky_fixture(authfuzz_target):
    key = _admin(authfuzz_target).api_key
    raise RuntimeError(f"MARK-2 the fixture could not use {key}")


def test_secret_in_a_fixture_error(leaky_fixture):
    pass


_calls = []


@settings(max_examples=5, database=None)
@given(number=st.integers())
def test_flaky_with_secret(authfuzz_workbench, number):
    token = _admin(authfuzz_workbench.target).token
    _calls.append(number)
    if len(_calls) == 1:
        raise ValueError(f"MARK-3 only the first time: {token}")


def test_dataclass_diff_of_principals(authfuzz_target):
    assert _admin(authfuzz_target) == authfuzz_target.principals.by_name("editor"), "MARK-4"


def test_requests_exception_with_url(authfuzz_target):
    key = _admin(authfuzz_target).api_key
    raise requests.ConnectionError(f"MARK-5 Max retries exceeded with url: /api/v1/?api_key={key}")


def test_captured_output_and_logs(authfuzz_target):
    key = _admin(authfuzz_target).api_key
    print(f"MARK-6 stdout {key}")
    print(f"MARK-6 stderr {key}", file=sys.stderr)
    logging.getLogger("hostile").warning("MARK-6 log %s", key)
    raise AssertionError("MARK-6")


def test_urllib3_retry_warnings(authfuzz_target):
    key = _admin(authfuzz_target).api_key
    gone = Client(authfuzz_target.with_base_url("http://127.0.0.1:9"))
    answer = gone.send(ApiRequest("GET", "/api/v1/", query=(("api_key", key),)))
    raise AssertionError(f"MARK-7 {answer.fault} {key}")


@pytest.fixture
def admin_key(authfuzz_target):
    return _admin(authfuzz_target).api_key


from pathlib import Path as _Path

from hypothesis import HealthCheck

from authfuzz.targets import load_target as _load

_KEY = _load(_Path("@REPO@/targets.toml"), "testbed").principals.by_name("admin").api_key


# A strategy whose repr holds a key: Hypothesis's statistics ("Retried draw from ...") name it,
# and its pytest plugin writes them to the JUnit file base64 encoded.
@settings(max_examples=5, database=None, suppress_health_check=list(HealthCheck))
@given(value=st.sampled_from([_KEY, "plain"]).filter(lambda v: v == "plain"))
def test_statistics_with_a_secret_in_a_strategy(authfuzz_target, value):
    print("MARK-9")


def test_interrupted_with_a_secret_in_its_arguments(admin_key):
    if not os.environ.get("HOSTILE_INTERRUPT"):
        pytest.skip("only in the interrupted run")
    os.kill(os.getpid(), signal.SIGINT)  # MARK-8
    time.sleep(30)
"""


def _fragments(secret: str) -> set[str]:
    return {secret[i : i + 8].lower() for i in range(len(secret) - 7)} | {secret.lower()}


def leaks(text: str) -> list[str]:
    """Where ``text`` holds a secret or 8 characters of one (named by 3, never shown whole)."""
    lowered = text.lower()
    found = {
        f"{fragment[:3]}... (8 characters of a secret)"
        for secret in SECRETS
        for fragment in _fragments(secret)
        if fragment in lowered
    }
    return sorted(found)


def _written(output: str, tmp_path: Path) -> str:
    """Everything a run wrote: its output, the JUnit XML, every file of the report directory."""
    parts = [output]
    junit = tmp_path / "junit.xml"
    if junit.exists():
        text = junit.read_text(errors="replace")
        parts.append(text)
        # Hypothesis writes its statistics there base64 encoded: read them as written.
        for encoded in re.findall(r'name="hypothesis-statistics-[^"]*" value="([^"]*)"', text):
            parts.append(base64.b64decode(encoded).decode(errors="replace"))
    report = tmp_path / "report"
    parts += [p.read_text(errors="replace") for p in sorted(report.rglob("*")) if p.is_file()]
    return "\n".join(parts)


def _hostile_run(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    module = tmp_path / "test_hostile.py"
    module.write_text(HOSTILE.replace("@REPO@", str(REPO)))
    command = [
        sys.executable, "-m", "pytest", str(module), "-p", "no:cacheprovider",
        "--targets-file", str(REPO / "targets.toml"), "--target", "testbed",
        "--report-dir", str(tmp_path / "report"), f"--junitxml={tmp_path / 'junit.xml'}",
        "--log-cli-level=DEBUG", *SHOW_EVERYTHING, *extra,
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_clean_env(), **(env or {})},
    )
    return completed.stdout + completed.stderr


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def test_the_scan_finds_a_secret_and_each_fragment_of_one() -> None:
    key = SECRETS[0]
    assert leaks(f"x {key} y")
    assert leaks(f"near miss: {key[5:13].upper()}")
    assert not leaks("ordinary output: 906 passed, authfuzz-os-1a2b3c4d5e6f")


def test_hostile_module_leaks_nothing(tmp_path: Path) -> None:
    output = _hostile_run(tmp_path)
    for mark in (f"MARK-{n}" for n in (*range(1, 8), 9)):
        assert mark in output, f"{mark} missing: that path did not run\n{output[-3000:]}"
    # The secrets were on those paths: their placeholders are where they stood.
    assert "refused ApiKey admin:{principal.admin.api_key}" in output
    assert "Flaky" in output and "test_flaky_with_secret" in output
    assert "<query hidden>" in output  # urllib3's retry warnings named the URL
    assert leaks(_written(output, tmp_path)) == []


def test_hostile_module_under_xdist_leaks_nothing(tmp_path: Path) -> None:
    output = _hostile_run(tmp_path, "-n", "2")
    assert "MARK-1" in output and "MARK-3" in output, output[-3000:]
    assert leaks(_written(output, tmp_path)) == []


def test_interrupted_run_with_full_trace_leaks_nothing(tmp_path: Path) -> None:
    output = _hostile_run(
        tmp_path, "-k", "test_interrupted_with", "--full-trace", env={"HOSTILE_INTERRUPT": "1"}
    )
    assert "KeyboardInterrupt" in output, output[-3000:]
    # The traceback of the interrupt showed the test's arguments, the key among them.
    assert "MARK-8" in output and "admin_key = '{principal.admin.api_key}'" in output
    assert leaks(_written(output, tmp_path)) == []


def test_ctrl_c_in_a_gate_run_leaks_nothing(tmp_path: Path) -> None:
    report = tmp_path / "report"
    command = [
        sys.executable, "-m", "pytest", str(REPO / "suites/test_auth_branches.py"),
        "-p", "no:cacheprovider", "--defects", "guest-fallthrough", "--hypothesis-profile", "ci",
        "--report-dir", str(report), f"--junitxml={tmp_path / 'junit.xml'}", *SHOW_EVERYTHING,
    ]  # fmt: skip
    gate = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_clean_env(),
    )  # fmt: skip
    time.sleep(12)  # start-up and a good part of the suite, findings included
    gate.send_signal(signal.SIGINT)
    output, _ = gate.communicate(timeout=120)
    assert "KeyboardInterrupt" in output, output[-3000:]
    assert leaks(_written(output, tmp_path)) == []


def test_failing_gate_shows_everything_and_leaks_nothing(tmp_path: Path) -> None:
    run = run_gate(
        tmp_path,
        "--defects",
        "guest-fallthrough,legacy-credentials,inactive-user",
        "-k",
        "wrong-key or legacy or inactive or other-users-key",
        *SHOW_EVERYTHING,
        select="suites/test_auth_branches.py",
    )
    assert run.returncode == 1, run.output[-3000:]
    assert {"wrong-key", "legacy-query", "inactive"} <= run.branches()
    assert "INVARIANT BROKEN" in run.output
    _assert_no_leak(run, tmp_path)


def test_failing_gate_under_faults_leaks_nothing(tmp_path: Path) -> None:
    mix = FaultMix(reset_before=0.02, reset_after=0.02, unavailable=0.05, throttled=0.03)
    with (
        Testbed(defects=("guest-fallthrough",)) as info,
        FaultProxy(info.base_url, seed=2, faults=mix) as proxy,
    ):
        targets = write_targets(tmp_path, "flaky", proxy.base_url, "staging")
        run = run_gate(
            tmp_path,
            "--targets-file",
            str(targets),
            "--target",
            "flaky",
            "-k",
            "wrong-key or fuzzed",
            *SHOW_EVERYTHING,
            select="suites/test_auth_branches.py",
        )
        faults = proxy.stats
    assert run.returncode == 1, run.output[-3000:]
    assert "wrong-key" in run.branches()
    assert "FlakyFailure" not in run.output and "Flaky" not in run.output
    assert faults.reset_before + faults.reset_after + faults.unavailable > 0
    _assert_no_leak(run, tmp_path)


def _assert_no_leak(run: GateRun, tmp_path: Path) -> None:
    written = _written(run.output, tmp_path)
    assert (run.report_dir / "findings.json").exists() and run.junit.exists()
    assert list((run.report_dir / "pocs").glob("*.toml")), "no PoC was exported to scan"
    assert leaks(written) == []
