"""The Hypothesis profiles of the gate: how many examples a run may spend against a server.

``dev`` (15 examples, shrinking) is for people, ``ci`` (8, no shrinking) for gates,
``deep`` (300) for a researcher's night. No profile runs Hypothesis's explain phase: it
re-sends a failing case many times to guess which parts mattered, which against a server is
many more write attempts for a hint the finding's request already gives.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
_SEARCH = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]

settings.register_profile(
    "dev",
    max_examples=15,
    phases=[*_SEARCH, Phase.shrink],
    **_COMMON,  # type: ignore[arg-type]
)
# ci is Hypothesis's own ci profile (derandomize=True, database=None, deadline=None,
# print_blob=True), with three differences: 8 examples per test (the day's throttles, see
# authfuzz.throttles), no shrinking (against a real target every shrink step is another
# write attempt, and a finding already carries a replayable request and a PoC file), and the
# gate's health checks suppressed. Kept from Hypothesis, on purpose: derandomized, so one
# build gets the same examples and so the same verdict on every run of the gate (breadth
# comes from the dev and deep profiles, and from --hypothesis-seed, which turns it off); no
# example database, since a CI runner is thrown away and a derandomized run needs none.
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=8,
    phases=_SEARCH,
    **_COMMON,
)
settings.register_profile(
    "deep",
    max_examples=300,
    phases=[*_SEARCH, Phase.shrink],
    **_COMMON,  # type: ignore[arg-type]
)


def load(asked: str | None, seed: object) -> None:
    """Load the profile asked for, else ``ci`` under CI and ``dev`` elsewhere; a seed asked
    for is a seed used (a derandomized profile would ignore it)."""
    if asked in (None, "default"):
        on_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        settings.load_profile("ci" if on_ci else "dev")
    current = settings.default
    if seed is not None and current is not None and current.derandomize:
        name = f"{settings.get_current_profile_name()}-seeded"
        settings.register_profile(name, current, derandomize=False)
        settings.load_profile(name)
