"""The value every strategy in this package draws: a string, its kind, and a safe account of it.

A drawn value is often a secret or contains one (a near-miss of a key, a header
carrying a valid key with one space too many). So it is never shown: ``how``
says in words what the value is ("admin's api_key with its last character
changed") and is what ends up in an ``Attempt.description``; ``labels`` name
the sub-kind for reports and coverage ("near-miss:one-char").
"""

from __future__ import annotations

from typing import NamedTuple


class Variant(NamedTuple):
    value: str  # may contain a secret: never print it
    labels: tuple[str, ...]  # sub-kinds, e.g. ("near-miss:prefix",); secret-free
    how: str  # human-readable, secret-free account of ``value``

    @classmethod
    def of(cls, value: str, label: str, how: str) -> Variant:
        return cls(value, (label,), how)
