"""``--baseline FILE``: findings already known and accepted, so that a run fails only on new ones.

Some findings are facts a team has decided to live with for a while: legacy http:// URLs the
production sweep reports every day until a migration removes them. A baseline lists them by
identity (invariant, branch, operation, oracle, the same key SARIF alerts are matched by), so
the gate still reports them but its verdict counts only the others; an entry that the run did
not find again is reported as fixed, so the file shrinks instead of rotting.

The file is either an earlier run's ``findings.json`` (every finding in it is accepted) or a
kept list: ``{"accepted": [{"invariant": ..., "branch": ..., "operation": ..., "oracle": ...,
"reason": "why it is accepted"}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from authfuzz.findings import Finding

Identity = tuple[str, str, str, str]
KEYS = ("invariant", "branch", "operation", "oracle")


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Baseline:
    path: str
    accepted: frozenset[Identity]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise BaselineError(f"baseline {path}: cannot read it ({error.strerror})") from None
        except ValueError as error:
            raise BaselineError(f"baseline {path}: not JSON ({error})") from None
        entries = data.get("accepted", data.get("findings")) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise BaselineError(
                f"baseline {path}: expected a findings.json or an object with an 'accepted' list"
            )
        accepted = set()
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in KEYS):
                raise BaselineError(
                    f"baseline {path}: entry {number} needs {', '.join(KEYS)} as strings"
                )
            accepted.add(tuple(str(entry[k]) for k in KEYS))
        return cls(str(path), frozenset(accepted))  # type: ignore[arg-type]

    def is_accepted(self, finding: Finding) -> bool:
        return finding.identity in self.accepted

    def new(self, findings: Sequence[Finding]) -> list[Finding]:
        return [f for f in findings if not self.is_accepted(f)]

    def fixed(self, findings: Sequence[Finding]) -> list[Identity]:
        """Accepted identities the run did not find again."""
        found = {f.identity for f in findings}
        return sorted(self.accepted - found)

    def describe(self, findings: Sequence[Finding]) -> str:
        accepted = len(findings) - len(self.new(findings))
        fixed = len(self.fixed(findings))
        return (
            f"{accepted} finding(s) accepted by {self.path}; {len(self.new(findings))} new; "
            f"{fixed} entr{'y' if fixed == 1 else 'ies'} of it fixed (not found again)"
        )

    def to_dict(self, findings: Sequence[Finding]) -> dict[str, object]:
        return {
            "file": self.path,
            "accepted": [list(f.identity) for f in findings if self.is_accepted(f)],
            "new": len(self.new(findings)),
            "fixed": [dict(zip(KEYS, identity, strict=True)) for identity in self.fixed(findings)],
        }
