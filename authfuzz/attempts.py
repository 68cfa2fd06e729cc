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
class Override:
    """Send the operation as ``via`` and ask for its real method somewhere else.

    ``where`` is ``header`` (``name`` is the header), ``query`` or ``form`` (``name`` is the
    parameter); ``lower`` sends the method in lower case (``_method=delete``).
    """

    via: str  # GET, POST or HEAD
    where: str = "header"
    name: str = "X-HTTP-Method-Override"
    lower: bool = False

    def value(self, method: str) -> str:
        return method.lower() if self.lower else method.upper()

    @property
    def how(self) -> str:
        where = {"header": f"{self.name}:", "query": f"?{self.name}=", "form": f"form {self.name}="}
        case = " in lower case" if self.lower else ""
        return f"sent as {self.via} with {where[self.where]} <the operation's method>{case}"


@dataclass(frozen=True)
class Attempt:
    api: Api
    branch: Branch | None  # None only for the positive control
    description: str  # human readable, never contains a secret
    headers: Pairs = ()  # may hold the same name twice (duplicated headers)
    query: Pairs = ()
    form: Pairs = ()  # credentials in a form-encoded body (v1 legacy); replaces the JSON body
    session_of: str | None = None  # name of the principal whose session cookie is attached
    cookies: Pairs = ()  # other cookies (a forged session id); never a live secret
    override: Override | None = None  # the method asked for elsewhere than the request line
    # How a form body travels: "form" (urlencoded) or "multipart"; None: as the operation's.
    # Django reads request.POST from both, so form credentials and a form _method are tried
    # in each.
    form_format: str | None = None
    allowed_to_write: bool = False
    labels: tuple[str, ...] = field(default=())  # e.g. the near-miss kind, for reports

    def __post_init__(self) -> None:
        if self.allowed_to_write and self.branch is not None:
            raise ValueError("a negative branch can never be allowed to write")
        if self.branch is not None and self.api not in self.branch.apis:
            raise ValueError(f"branch {self.branch.name} does not apply to {self.api.value}")

    @property
    def override_via(self) -> str | None:
        return self.override.via if self.override else None

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
