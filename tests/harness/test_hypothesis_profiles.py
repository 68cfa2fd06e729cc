"""The gate's Hypothesis profiles, as a run under pytest sees them.

- ``ci`` is Hypothesis's own ci profile (derandomized, no example database, no deadline,
  the blob printed), differing only where the gate needs it: 8 examples, no shrink or explain
  phase, the gate's health checks suppressed; ``CI=true`` picks it without being asked;
- an explicit ``--hypothesis-seed`` is honoured: the profile is derived without
  derandomization, so the proofs that run the gate on several seeds are several runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

import authfuzz.plugin.profiles  # noqa: F401  (registers the profiles)

PROBE = """
from hypothesis import settings

def test_profile():
    current = settings.default
    print("PROFILE", settings.get_current_profile_name(), current.derandomize,
          current.database is None, current.max_examples)
"""


def _profile(tmp_path: Path, *args: str, ci: bool = False) -> list[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *args,
         "test_probe.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROFILE"))
    return line.split()[1:]


def test_ci_is_hypothesis_s_own_ci_profile_with_the_gate_s_differences() -> None:
    ours = settings.get_profile("ci")
    assert ours.derandomize is True and ours.database is None
    assert ours.deadline is None and ours.print_blob is True
    assert ours.max_examples == 8
    assert Phase.shrink not in ours.phases and Phase.explain not in ours.phases
    assert HealthCheck.too_slow in ours.suppress_health_check
    for name in ("dev", "deep"):  # the workstation and research profiles explore, shrink
        assert Phase.shrink in settings.get_profile(name).phases


def test_ci_true_picks_the_ci_profile_and_a_seed_is_a_seed(tmp_path: Path) -> None:
    assert _profile(tmp_path, ci=True) == ["ci", "True", "True", "8"]
    assert _profile(tmp_path, "--hypothesis-profile", "ci", "--hypothesis-seed", "3") == [
        "ci-seeded", "False", "True", "8",
    ]  # fmt: skip
