"""The testbed's fixed local accounts.

These credentials exist only on a throw-away local replica; they are listed
under ``[targets.testbed]`` in targets.toml so the harness can use them, and a
test checks that the two lists agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def _fixed_hex(label: str) -> str:
    """A stable 40-hex value that looks like a real key but is derived, not random."""
    return hashlib.sha1(f"authfuzz-testbed:{label}".encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    name: str
    username: str
    password: str
    api_key: str
    token: str
    role: str  # staff | user | inactive
    is_superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "inactive")

    @property
    def is_active(self) -> bool:
        return self.role != "inactive"


def _account(name: str, role: str, is_superuser: bool = False) -> Account:
    return Account(
        name=name,
        username=name,
        # Random-looking, like a real password: no fragment of it is an ordinary word that
        # output could contain, so a scan for any 8 characters of a secret is meaningful.
        password=_fixed_hex(f"{name}:password")[:20],
        api_key=_fixed_hex(f"{name}:api_key"),
        token=_fixed_hex(f"{name}:token"),
        role=role,
        is_superuser=is_superuser,
    )


ACCOUNTS: tuple[Account, ...] = (
    _account("admin", "staff", is_superuser=True),
    _account("editor", "staff"),
    _account("user", "user"),
    _account("retired", "inactive"),
)


def targets_toml(name: str, base_url: str, environment: str, throttled: bool = False) -> str:
    """A ``targets.toml`` text for a testbed already running at ``base_url``.

    For tests and benchmarks that start a testbed themselves and point the gate at it. A
    testbed runs with python.org's throttles lifted unless started with them
    (``Testbed(throttle=True)``): say which with ``throttled``, so the throttle plan agrees.
    """
    lines = [f'[targets.{name}]\nbase_url = "{base_url}"\nenvironment = "{environment}"\n']
    if not throttled:
        lines[0] += "throttles = false\n"
    for account in ACCOUNTS:
        lines.append(
            f'[[targets.{name}.principals]]\nname = "{account.name}"\n'
            f'username = "{account.username}"\nrole = "{account.role}"\n'
            f'api_key = "{account.api_key}"\ntoken = "{account.token}"\n'
            f'password = "{account.password}"\n'
        )
    return "\n".join(lines)
