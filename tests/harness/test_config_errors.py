"""A bad configuration is one line and exit code 2, before pytest starts.

``authfuzz run`` checks the targets file, the chosen target and ``--defects`` itself, so a
CI log shows ``authfuzz run: error: ...`` once: no pytest banner around it, no traceback,
and the message says what to fix (the file, the target, the key or the variable's name).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from authfuzz.reports.writer import REPORT_FILES

REPO = Path(__file__).resolve().parents[2]
UNSET = "AUTHFUZZ_TEST_NEVER_SET_API_KEY"
PREFIX = "authfuzz run: error: "


def authfuzz_run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_XDIST") and k not in ("PYTEST_CURRENT_TEST", UNSET)
    }
    base.pop("AUTHFUZZ_TARGETS_FILE", None)
    return subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "run", "--report-dir", str(tmp_path / "r"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, **(env or {})},
    )


def the_one_line(run: subprocess.CompletedProcess[str]) -> str:
    """The run's only output line, after checking it is a configuration error and alone."""
    output = run.stdout + run.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert run.returncode == 2, output
    assert len(lines) == 1, output
    assert "Traceback" not in output
    assert "test session starts" not in output
    assert lines[0].startswith(PREFIX), lines[0]
    return lines[0][len(PREFIX) :]


def targets_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


REMOTE = """
[targets.remote]
base_url = "http://127.0.0.1:9"
environment = "staging"

[[targets.remote.principals]]
name = "bot"
username = "bot"
role = "staff"
{secret}
"""


def test_unknown_target(tmp_path: Path) -> None:
    message = the_one_line(authfuzz_run(tmp_path, "--target", "no-such-target"))
    assert "unknown target 'no-such-target'" in message
    assert "known targets: production, staging, testbed" in message


def test_missing_targets_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    message = the_one_line(authfuzz_run(tmp_path, "--targets-file", str(missing)))
    assert message.startswith(f"{missing}: file not found")


def test_missing_targets_file_named_by_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.toml"
    run = authfuzz_run(tmp_path, env={"AUTHFUZZ_TARGETS_FILE": str(missing)})
    assert the_one_line(run).startswith(f"{missing}: file not found")


def test_malformed_toml(tmp_path: Path) -> None:
    path = targets_file(tmp_path, '[targets.broken\nbase_url = "http://x"\n')
    message = the_one_line(authfuzz_run(tmp_path, "--targets-file", str(path)))
    assert message.startswith(f"{path}: not valid TOML:")
    assert "line 1" in message


def test_invalid_target_table(tmp_path: Path) -> None:
    path = targets_file(tmp_path, '[targets.remote]\nbase_url = "ftp://example.org"\n')
    message = the_one_line(
        authfuzz_run(tmp_path, "--targets-file", str(path), "--target", "remote")
    )
    assert message == f"{path}: targets.remote.base_url: must be an http:// or https:// URL"


def test_env_variable_not_set(tmp_path: Path) -> None:
    path = targets_file(tmp_path, REMOTE.format(secret=f'api_key_env = "{UNSET}"'))
    message = the_one_line(
        authfuzz_run(tmp_path, "--targets-file", str(path), "--target", "remote")
    )
    assert message == (
        f"{path}: targets.remote.principals.bot.api_key_env: "
        f"environment variable {UNSET} is not set"
    )


def test_the_shipped_staging_target_without_its_secrets(tmp_path: Path) -> None:
    if os.environ.get("AUTHFUZZ_STAGING_API_KEY"):
        pytest.skip("AUTHFUZZ_STAGING_API_KEY is set here")
    run = authfuzz_run(tmp_path, "--target", "staging")
    assert "AUTHFUZZ_STAGING_API_KEY is not set" in the_one_line(run)


def test_unknown_defect(tmp_path: Path) -> None:
    message = the_one_line(authfuzz_run(tmp_path, "--defects", "guest-fallthrough,no-such"))
    assert message.startswith("unknown defect no-such; valid defects are: guest-fallthrough")


def test_defects_on_a_target_the_harness_does_not_start(tmp_path: Path) -> None:
    path = targets_file(tmp_path, REMOTE.format(secret='api_key = "k"\ntoken = "t"'))
    run = authfuzz_run(
        tmp_path, "--targets-file", str(path), "--target", "remote", "--defects", "http-urls"
    )
    message = the_one_line(run)
    assert message.startswith("--defects needs a target with start = \"testbed\"; 'remote'")


def test_a_refused_run_leaves_no_earlier_report(tmp_path: Path) -> None:
    reports = tmp_path / "r"
    (reports / "pocs").mkdir(parents=True)
    (reports / "findings.json").write_text("{}")
    (reports / "report.html").write_text("<p>old</p>")
    (reports / "coverage.txt").write_text("old grid\n")
    mine = reports / "pocs" / "my-own.toml"
    mine.write_text("# a PoC someone wrote by hand\n")
    the_one_line(authfuzz_run(tmp_path, "--target", "no-such-target"))
    left = sorted(p.name for p in reports.rglob("*") if p.is_file())
    # This run's own reports (REFUSED, and why) replace the old ones; a hand-made PoC stays.
    assert left == sorted([*REPORT_FILES, "my-own.toml"]), left
    summary = json.loads((reports / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "refused" and "no-such-target" in summary["reason"]
    assert "old" not in (reports / "report.html").read_text()


@pytest.mark.slow
def test_the_auto_started_testbed_still_runs(tmp_path: Path) -> None:
    """``--target testbed`` has no base URL: the check must not mistake that for an error."""
    run = authfuzz_run(
        tmp_path,
        "--target",
        "testbed",
        "--defects",
        "guest-fallthrough",
        "--progress-every",
        "0",
        "--",
        "-k",
        "test_identity_probes and v1",
        "-W",
        "error::pytest.PytestAssertRewriteWarning",
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-3000:]
    assert "test session starts" in output
    assert "authfuzz run: error" not in output
    assert "authfuzz: FAIL, " in output
