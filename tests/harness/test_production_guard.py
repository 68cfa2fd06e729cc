"""Against production, nothing that could write is ever sent, and the bypass is still found.

The testbed's request log records every request it answered (method, override
header, path; never credentials), which is the proof that no state-changing
request arrived.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.client.guard import could_change_state
from testbed.runner import Testbed
from tests.harness.gate import run_gate, write_targets

pytestmark = pytest.mark.slow


def _state_changing(requests: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        r
        for r in requests
        if could_change_state(
            r["method"],
            [name for name, _ in r["overrides"] if " " not in name],
            False,
            [name.split(" ", 1)[1] for name, _ in r["overrides"] if name.startswith("query ")],
        )
        or any(name.startswith("form ") for name, _ in r["overrides"])
    ]


@pytest.mark.parametrize(
    ("defects", "expect_finding"), [((), False), (("guest-fallthrough",), True)]
)
def test_production_run_sends_nothing_that_could_write(
    tmp_path: Path, defects: tuple[str, ...], expect_finding: bool
) -> None:
    with Testbed(defects=defects) as info:
        targets = write_targets(tmp_path, "prodlike", info.base_url, "production")
        run = run_gate(tmp_path, "--targets-file", str(targets), "--target", "prodlike")
        seen = info.logged_requests()
    assert seen, "the request log is empty: the proof would be vacuous"
    assert _state_changing(seen) == []
    # the route surface's read-only cells ran, and nothing else of it
    routes = [line for line in run.output.splitlines() if line.startswith("route cells sent:")]
    assert routes and "user" in routes[0] and "staff" not in routes[0], routes
    if expect_finding:
        assert run.returncode == 1, run.output[-3000:]
        assert run.branches("identity-probe") >= {"wrong-key"}
        assert run.branches("read-back") == set()
    else:
        assert run.returncode == 0, run.output[-3000:]


def test_as_production_flag_marks_the_testbed_production(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "--as-production", "--defects", "guest-fallthrough")
    assert run.returncode == 1
    assert run.branches("identity-probe") >= {"wrong-key"}
    assert run.branches("read-back") == set()
