"""What one request presents to the server, and what the server should make of it.

An ``Attempt`` is pure data: the strategies build it, the client turns it into
HTTP, the oracles judge the outcome. ``allowed_to_write`` is the ground truth
that every oracle compares against; it is true only for the positive control
(an active staff principal's canonical credential).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from authfuzz.branches import Api, Branch

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Attempt:
    api: Api
    branch: Branch | None  # None only for the positive control
    description: str  # human readable, never contains a secret
    headers: Pairs = ()  # may hold the same name twice (duplicated headers)
    query: Pairs = ()
    form: Pairs = ()  # credentials in a form-encoded body (v1 legacy); replaces the JSON body
    session_of: str | None = None  # name of the principal whose session cookie is attached
    # Send the operation as this safe or other method ("GET", "POST") carrying
    # ``X-HTTP-Method-Override: <the operation's method>`` (v1 honours it).
    override_via: str | None = None
    allowed_to_write: bool = False
    labels: tuple[str, ...] = field(default=())  # e.g. the near-miss kind, for reports

    def __post_init__(self) -> None:
        if self.allowed_to_write and self.branch is not None:
            raise ValueError("a negative branch can never be allowed to write")
        if self.branch is not None and self.api not in self.branch.apis:
            raise ValueError(f"branch {self.branch.name} does not apply to {self.api.value}")

    @property
    def branch_slug(self) -> str:
        return self.branch.slug if self.branch is not None else "valid-staff"

    def header_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.headers)

    def __repr__(self) -> str:
        # Header and query values hold secrets; pytest and Hypothesis print reprs.
        return f"Attempt({self.api.value} {self.branch_slug}: {self.description})"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        """Hypothesis prints drawn values with this; never let it show the raw credential."""
        printer.text(repr(self))  # type: ignore[attr-defined]
