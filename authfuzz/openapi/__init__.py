"""Schemathesis on top of the harness: its cases, our client, our engine, our findings.

Schemathesis contributes what it is good at: cases drawn from the spec's schemas, response
conformance checks and stateful chains along the spec's links. Everything else is the
harness's own, so that there is one stack: a case never goes out through Schemathesis's
transport (``adapter`` turns it into an ``ApiRequest`` and back into a redacted response),
every case is pointed at objects the process owns before it is sent (``pinning``), and the
engine judges it like any other trial (``authfuzz.checks.openapi``).

- ``config``: which of Schemathesis's own checks run and why, and the spec subsets it loads;
- ``adapter``: case to request, answer to Schemathesis response, the conformance checks;
- ``pinning``: a generated case made valid and aimed at the bench's objects.
"""

STATEFUL_STEPS = 5  # at most, per scenario


def stateful_scenarios(examples: int) -> int:
    """How many stateful scenarios a profile of ``examples`` per test runs per API: an eighth,
    at least one (each step is a staff write with a read of the whole state). Here, apart
    from Schemathesis's import, because the throttle plan needs it too."""
    return max(1, examples // 8) if examples else 0
