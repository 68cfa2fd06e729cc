"""A violation of an invariant, with everything needed to understand and reproduce it.

Every string in a finding has already been redacted by the client; findings
travel from pytest-xdist workers to the controller as JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from authfuzz.codes import code_of


@dataclass(frozen=True)
class Finding:
    invariant: str  # no-unauthenticated-write | no-foreign-url | bulk-delete-stays-in-scope
    oracle: str  # read-back | identity-probe | stored-url-sweep ...
    target: str
    branch: str
    operation: str
    summary: str
    request: str
    status: int
    evidence: str
    curl: str
    labels: tuple[str, ...] = field(default=())
    # The request in structured, redacted form (secrets as {principal.NAME.KIND}
    # placeholders, near misses as {redacted}), so a finding can become a PoC file.
    replay: dict[str, Any] | None = None

    @property
    def code(self) -> str:
        """The stable code of its kind (``authfuzz.codes``), e.g. ``AFW11``."""
        return code_of(self.invariant, self.branch)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes two findings the same hole across runs, seeds and ports."""
        return (self.invariant, self.branch, self.operation, self.oracle)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["code"] = self.code
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        known = {k: v for k, v in data.items() if k != "code"}
        return cls(**{**known, "labels": tuple(data.get("labels", ()))})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def message(self) -> str:
        """The pytest failure text: what broke, how we know, how to reproduce."""
        labels = f" ({', '.join(self.labels)})" if self.labels else ""
        return (
            f"{self.code} INVARIANT BROKEN: {self.invariant} [{self.oracle}] on target "
            f"{self.target!r} (authfuzz explain {self.code})\n"
            f"  branch:    {self.branch}{labels}\n"
            f"  operation: {self.operation}\n"
            f"  what:      {self.summary}\n"
            f"  request:   {self.request}\n"
            f"  status:    {self.status}\n"
            f"  read-back: {self.evidence}\n"
            f"  reproduce: {self.curl}\n"
            f"  (secrets are environment variables: export AUTHFUZZ_<PRINCIPAL>_API_KEY etc.)"
        )


class FindingError(AssertionError):
    """Raised by a check to fail the test; carries the findings for the reports."""

    def __init__(self, finding: Finding, *more: Finding) -> None:
        self.findings = (finding, *more)
        super().__init__("\n\n".join(f.message() for f in self.findings))

    @property
    def finding(self) -> Finding:
        return self.findings[0]
