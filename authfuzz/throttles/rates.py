"""Throttle limits: python.org's real rates unless the target says otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


class ThrottleConfigError(ValueError):
    """A ``throttles`` table that cannot be read; the message names the key."""


@dataclass(frozen=True)
class Rate:
    requests: int
    per: str  # second | minute | hour | day

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text)
        if match is None:
            raise ThrottleConfigError(f"{text!r} is not a rate like '600/hour'")
        return cls(int(match.group(1)), match.group(2))

    @property
    def seconds(self) -> int:
        return _UNITS[self.per]

    def __str__(self) -> str:
        return f"{self.requests}/{self.per}"


@dataclass(frozen=True)
class Throttles:
    """The limits of the three throttle classes; ``None`` for a target without throttles."""

    v1: Rate = Rate(600, "hour")  # per username with a valid key, and per guest address
    v2_user: Rate = Rate(3000, "day")  # per user token
    v2_anonymous: Rate = Rate(100, "day")  # per client address

    def limit(self, bucket_class: str) -> Rate:
        return {"v1": self.v1, "v2-user": self.v2_user, "v2-anonymous": self.v2_anonymous}[
            bucket_class
        ]


PYTHON_ORG = Throttles()
KEYS = {"v1": "v1", "v2_user": "v2_user", "v2_anonymous": "v2_anonymous"}


def parse_throttles(raw: Any) -> Throttles | None:
    """``throttles = false`` (none), or a table overriding some of python.org's rates."""
    if raw is False:
        return None
    if raw is None or raw is True:
        return PYTHON_ORG
    if not isinstance(raw, dict):
        raise ThrottleConfigError("must be false or a table like { v1 = '600/hour' }")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ThrottleConfigError(f"unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    values: dict[str, Rate] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ThrottleConfigError(f"{key}: give a rate like '600/hour'")
        try:
            values[key] = Rate.parse(value)
        except ThrottleConfigError as error:
            raise ThrottleConfigError(f"{key}: {error}") from None
    return Throttles(**values)
