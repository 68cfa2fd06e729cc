"""Known accounts of a target, and what each is allowed to do.

A principal's secrets are excluded from ``repr`` so that a principal can be
logged, shown by pytest or put in an assertion message without leaking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    STAFF = "staff"
    USER = "user"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Principal:
    name: str
    username: str
    role: Role
    api_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    # (kind, environment variable) for secrets the targets file takes from the environment
    # (``api_key_env = "MINE_ADMIN_API_KEY"``): curl lines name those, so they paste as shown.
    env: tuple[tuple[str, str], ...] = ()

    def env_name(self, kind: str) -> str:
        """The variable a reproduction reads this secret from."""
        configured = dict(self.env).get(kind)
        return configured or f"AUTHFUZZ_{self.name}_{kind}".upper().replace("-", "_")

    @property
    def can_write(self) -> bool:
        """Only an active staff account may change state, through either API."""
        return self.role is Role.STAFF

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.token, self.password) if s)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))

    def secret_names(self) -> dict[str, str]:
        """Secret value -> the placeholder that stands for it in reports and PoCs."""
        names = {}
        for kind in ("api_key", "token", "password"):
            value = getattr(self, kind)
            if value:
                names[value] = f"{{principal.{self.name}.{kind}}}"
        return names


@dataclass(frozen=True)
class Principals:
    """All principals of one target, with the lookups the strategies and oracles need."""

    members: tuple[Principal, ...]

    def __iter__(self) -> Iterator[Principal]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def by_name(self, name: str) -> Principal:
        for principal in self.members:
            if principal.name == name:
                return principal
        raise KeyError(name)

    def with_role(self, role: Role) -> tuple[Principal, ...]:
        return tuple(p for p in self.members if p.role is role)

    def trusted(self) -> Principal | None:
        """The staff principal used to read state back: the first staff with both secrets."""
        for principal in self.with_role(Role.STAFF):
            if principal.api_key and principal.token:
                return principal
        staff = self.with_role(Role.STAFF)
        return staff[0] if staff else None

    def reader(self) -> Principal | None:
        """The staff principal whose token reads state back: another staff principal with a
        token when the target has one, else the trusted one.

        Reading is most of what a run spends (every check reads the whole state before and
        after its batch); on a separate daily bucket it leaves the trusted principal's for the
        writes the checks make, which is what lets a day hold several gate runs."""
        trusted = self.trusted()
        for principal in self.with_role(Role.STAFF):
            if principal.token and trusted is not None and principal.name != trusted.name:
                return principal
        return trusted

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for p in self.members for s in p.secrets())

    def usernames(self) -> frozenset[str]:
        return frozenset(p.username for p in self.members)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis's printer walks a dataclass's fields itself, ignoring ``repr=False``."""
        printer.text(repr(self))
