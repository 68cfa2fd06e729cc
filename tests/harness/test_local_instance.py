"""A testbed started by hand says how to gate it: the block and exports it prints work as pasted.

The README's "Checking locally" starts ``authfuzz testbed`` in one shell and runs the gate in
another; what connects the two is the ``targets.toml`` block and the ``export`` lines the
testbed prints. Here they are taken from its real output and used as a person would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness.gate import REPO

pytestmark = pytest.mark.slow


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "authfuzz.cli", "testbed", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Stop with Ctrl-C."):
            break
        assert time.monotonic() < deadline, lines
    return process, lines


@pytest.mark.parametrize("throttled", [True, False], ids=["throttles-on", "throttles-off"])
def test_the_printed_block_and_exports_gate_the_instance(tmp_path: Path, throttled: bool) -> None:
    process, lines = _start(*([] if throttled else ["--no-throttle"]))
    try:
        text = "\n".join(lines)
        assert ("throttles: on" in text) == throttled and ("throttles = false" in text) != throttled
        start = lines.index("# targets.toml") + 1
        end = lines.index("# then, in the shell that runs the gate:")
        targets = tmp_path / "targets.toml"
        targets.write_text("\n".join(lines[start:end]) + "\n")
        matches = (re.fullmatch(r"export (\w+)=(\S+)", line) for line in lines[end:])
        exports = {m.group(1): m.group(2) for m in matches if m is not None}
        assert len(exports) == 8, exports  # four accounts, a key and a token each
        env = {**os.environ, **exports, "AUTHFUZZ_JOURNAL": str(tmp_path / "spend.json")}
        run = subprocess.run(
            [
                sys.executable, "-m", "authfuzz.cli", "run", "--target", "local",
                "--targets-file", str(targets), "--report-dir", str(tmp_path / "r"),
                "--progress-every", "0", "--", "-k", "test_identity_probes and v1",
            ],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
        assert "authfuzz: PASS" in run.stdout
        for secret in exports.values():
            assert secret not in run.stdout + run.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)
