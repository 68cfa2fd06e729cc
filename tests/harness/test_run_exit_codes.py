"""``authfuzz run`` exit codes, one test each: 0 clean, 1 findings, 2 usage/config, 3 unreachable.

CI scripts branch on these, so each is checked through the real command. The
gate is narrowed with ``-k`` to the identity probes to keep the runs short;
that is enough for a finding (guest-fallthrough is visible to a probe).
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

pytestmark = pytest.mark.slow


def authfuzz_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "run", "--report-dir", str(tmp_path / "r"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_exit_0_when_clean(tmp_path: Path) -> None:
    run = authfuzz_run(tmp_path, "--", "-k", "test_identity_probe")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_exit_1_on_findings(tmp_path: Path) -> None:
    run = authfuzz_run(
        tmp_path, "--defects", "guest-fallthrough", "--", "-k", "test_identity_probe"
    )
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "INVARIANT BROKEN" in run.stdout


def test_exit_2_on_configuration_error(tmp_path: Path) -> None:
    run = authfuzz_run(tmp_path, "--target", "no-such-target")
    assert run.returncode == 2
    assert "unknown target 'no-such-target'" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_exit_3_when_the_target_is_unreachable(tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[targets.gone]\nbase_url = "http://127.0.0.1:9"\nenvironment = "local"\n'
        '[[targets.gone.principals]]\nname = "a"\nusername = "a"\nrole = "staff"\n'
        'api_key = "k"\ntoken = "t"\n'
    )
    run = authfuzz_run(tmp_path, "--targets-file", str(targets), "--target", "gone")
    assert run.returncode == 3, run.stdout[-2000:] + run.stderr[-2000:]
    assert "unreachable" in run.stdout + run.stderr


def test_a_run_that_stops_early_leaves_no_earlier_verdict_behind(tmp_path: Path) -> None:
    first = authfuzz_run(
        tmp_path, "--defects", "guest-fallthrough", "--", "-k", "test_identity_probe"
    )
    assert first.returncode == 1, first.stdout[-2000:]
    reports = tmp_path / "r"
    assert (reports / "findings.json").exists() and list((reports / "pocs").glob("*.toml"))
    mine = reports / "pocs" / "my-own.toml"
    mine.write_text("# a PoC someone wrote by hand\n")
    second = authfuzz_run(tmp_path, "--target", "no-such-target")
    assert second.returncode == 2
    left = sorted(p.name for p in reports.rglob("*") if p.is_file())
    # This run's reports (REFUSED, and why), none of the last run's PoCs; a hand-made one stays.
    assert left == sorted([*REPORT_FILES, "my-own.toml"]), left
    summary = json.loads((reports / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "refused" and "no-such-target" in summary["reason"]


def test_a_suite_after_the_double_dash_narrows_the_run(tmp_path: Path) -> None:
    """``authfuzz run -- suites/test_stored_urls.py`` runs that suite alone, not every suite."""
    run = authfuzz_run(tmp_path, "--progress-every", "0", "--", "suites/test_stored_urls.py")
    assert run.returncode == 0, run.stdout[-2000:]
    assert "test_auth_branches" not in run.stdout
    assert "2 passed" in run.stdout.splitlines()[-1], run.stdout[-500:]


@pytest.mark.parametrize(
    ("defects", "code"),
    [((), 6), (("--defects", "guest-fallthrough"), 1)],
    ids=["a-pass-becomes-error", "a-fail-stands"],
)
def test_pytest_failing_after_the_verdict_never_passes(
    tmp_path: Path, defects: tuple[str, ...], code: int
) -> None:
    """pytest's own reporting failing after the gate decided (as its Ctrl-C report once did):
    a decided FAIL stands, a decided PASS becomes ERROR, and either says why in one line."""
    (tmp_path / "crash_after_verdict.py").write_text(
        "def pytest_unconfigure(config):\n    raise TypeError('after the verdict')\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "run", "--report-dir", str(tmp_path / "r"),
         *defects, "--", "-k", "test_identity_probe", "-p", "crash_after_verdict"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert run.returncode == code, run.stdout[-2000:] + run.stderr[-2000:]
    assert "pytest failed after the verdict: TypeError: after the verdict" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


INTERRUPT_WITHOUT_A_LINE = """
import sys
import types


def pytest_{hook}(session):
    # Where a signal can land in Python 3.11: an instruction without a line number, so the
    # KeyboardInterrupt's innermost frame has tb_lineno None.
    lost = types.TracebackType(None, sys._getframe(), 10**6, -1)
    raise KeyboardInterrupt().with_traceback(lost)
"""


@pytest.mark.parametrize("hook", ["sessionstart", "collection_finish"])
def test_ctrl_c_landing_on_a_frame_without_a_line_is_incomplete(tmp_path: Path, hook: str) -> None:
    """Seen in CI: Ctrl-C during start-up, and pytest's own report of it raised on such a frame
    (TypeError), so the run ended as an internal error (exit 1) instead of INCOMPLETE."""
    (tmp_path / "interrupt_without_a_line.py").write_text(
        INTERRUPT_WITHOUT_A_LINE.format(hook=hook)
    )
    run = subprocess.run(
        [sys.executable, "-m", "authfuzz.cli", "run", "--report-dir", str(tmp_path / "r"),
         "--", "-k", "test_identity_probe", "-p", "interrupt_without_a_line"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 5, output[-2000:]
    assert "KeyboardInterrupt" in output and "TypeError" not in output, output[-2000:]
    summary = json.loads((tmp_path / "r" / "findings.json").read_text())["summary"]
    assert summary["verdict"] == "incomplete", summary
