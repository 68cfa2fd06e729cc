"""Hypothesis strategies that draw authentication ``Attempt``s against python.org's release API.

Public API (see ``strategies.auth``):

- ``negative_attempts(principals, api, branch=None)``: attempts that must not write;
- ``positive_attempt(principals, api)``: the canonical staff credential (the control);
- ``unavailable_reason(principals, api, branch)``: why a branch cannot run, or None;
- ``available_branches(principals, api)``: the branches that can;
- ``example_attempt(principals, api, branch)``: one fixed representative per branch.

The building blocks live in small modules: ``usernames`` and ``keys`` (wrong
values), ``headers`` (header forms), ``v1_headers`` / ``v2_headers`` (one
strategy per header branch), ``sources`` (query, form, session, mixtures,
method override), ``availability`` and ``examples``.
"""

from strategies.auth import (
    available_branches,
    example_attempt,
    negative_attempts,
    positive_attempt,
    unavailable_reason,
)

__all__ = [
    "available_branches",
    "example_attempt",
    "negative_attempts",
    "positive_attempt",
    "unavailable_reason",
]
