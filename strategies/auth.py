"""The public API: negative attempts per branch, the positive control, availability, examples.

Ground truth is the server at HEAD (release-api.md 2.2 and 2.5): every attempt
drawn by ``negative_attempts`` is one that HEAD rejects for writing, and
``positive_attempt`` is the one it accepts. A negative attempt that HEAD would
accept is a false positive of the gate, so the header rules each strategy
relies on are spelled out in ``v1_headers`` and ``v2_headers``.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.attempts import Attempt
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principals
from strategies.availability import staff, unavailable_reason
from strategies.examples import example_attempt
from strategies.headers import authorization, canonical
from strategies.sources import HEADER_BRANCHES, SOURCE_BRANCHES

__all__ = [
    "available_branches",
    "example_attempt",
    "negative_attempts",
    "positive_attempt",
    "unavailable_reason",
]


def available_branches(principals: Principals, api: Api) -> tuple[Branch, ...]:
    """The branches of ``api`` that can run with these principals, in enum order."""
    return tuple(b for b in Branch.for_api(api) if unavailable_reason(principals, api, b) is None)


def _branch_attempts(principals: Principals, api: Api, branch: Branch) -> SearchStrategy[Attempt]:
    header_branches = HEADER_BRANCHES[api]
    if branch in header_branches:
        return header_branches[branch](principals).map(
            lambda v: Attempt(
                api,
                branch,
                f"Authorization: {v.how}",
                headers=authorization(v.value),
                labels=v.labels,
            )
        )
    return SOURCE_BRANCHES[branch](principals, api)


# Building validates the whole strategy tree, which costs far more than a draw: callers that
# ask again (every Hypothesis example does) get the same strategy back.
@cache
def negative_attempts(
    principals: Principals, api: Api, branch: Branch | None = None
) -> SearchStrategy[Attempt]:
    """Attempts of any available negative branch of ``api``, or of exactly ``branch``.

    Each carries its ``Branch``, ``allowed_to_write=False`` and labels naming
    the sub-kind. Raises ValueError, with the reason, if ``branch`` (or, when
    no branch is given, every branch) cannot run with these principals.
    """
    if branch is not None:
        reason = unavailable_reason(principals, api, branch)
        if reason is not None:
            raise ValueError(reason)
        return _branch_attempts(principals, api, branch)
    branches = available_branches(principals, api)
    if not branches:
        reasons = {unavailable_reason(principals, api, b) for b in Branch.for_api(api)}
        raise ValueError(
            f"no negative branch can run on {api.value}: "
            + "; ".join(sorted(r for r in reasons if r))
        )
    # Draw the branch first, uniformly, then an attempt of it: a plain one_of lets branches
    # with open-ended values crowd out the fixed ones. Historically broken branches go
    # first, so shrinking a failure lands on the most telling branch that still fails.
    by_branch = {b: _branch_attempts(principals, api, b) for b in _risk_ordered(branches)}
    return st.sampled_from(tuple(by_branch)).flatmap(by_branch.__getitem__)


# The branches real reports came through, most recent incident first (release-api.md 4.1).
_HISTORICAL = (
    Branch.WRONG_KEY,
    Branch.OTHER_USERS_KEY,
    Branch.LEGACY_QUERY,
    Branch.SESSION_COOKIE,
    Branch.INACTIVE,
    Branch.MIXED_SOURCES,
    Branch.METHOD_OVERRIDE,
)


def _risk_ordered(branches: tuple[Branch, ...]) -> tuple[Branch, ...]:
    first = tuple(b for b in _HISTORICAL if b in branches)
    return first + tuple(b for b in branches if b not in first)


def positive_attempt(principals: Principals, api: Api) -> Attempt:
    """The trusted staff principal's canonical credential: the one attempt that may write."""
    trusted = staff(principals, api)
    shown = (
        f"ApiKey {trusted.username}:<{trusted.name}'s api_key>"
        if api is Api.V1
        else f"Token <{trusted.name}'s token>"
    )
    return Attempt(
        api,
        None,
        f"Authorization: {shown} (canonical staff credential)",
        headers=authorization(canonical(trusted, api)),
        allowed_to_write=True,
        labels=("valid-staff",),
    )
