"""What a run keeps back for its clean-up, and how far its checks may spend each bucket.

A run that spent a bucket to the last request could not remove its own objects with it: the
daily v2 bucket of the trusted principal would then hold them for a day. So the plan keeps
``CLEAN_UP`` requests of each bucket custody settles the target with (the trusted principal's,
which deletes and puts back, and the reader's, which reads) out of the checks' reach, and
while the run goes each process stops sending checks on a bucket once its share of the rest
is spent: those checks are not checked, with the reason, and custody still has what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from authfuzz.principals import Principals
from authfuzz.throttles.buckets import Bucket

# Settling the target at the end: three whole reads (the end digest, after acting, the final
# digest: 9 requests) and a delete or a put-back per object the run still holds or a defect
# changed (the destructive testbed needed at most 30). Kept in each bucket custody may settle
# with, since either may be the one left open when another client spends the other.
CLEAN_UP = 40


def reserved_buckets(principals: Principals) -> tuple[Bucket, ...]:
    """The v2 buckets custody settles the target with: the trusted principal's and the
    reader's (one bucket when they are the same principal)."""
    names = []
    for principal in (principals.trusted(), principals.reader()):
        if principal is not None and principal.name not in names:
            names.append(principal.name)
    return tuple(Bucket("v2", name) for name in names)


@dataclass(frozen=True)
class Ceilings:
    """Per bucket label, how many counted requests this process's checks may spend."""

    share: dict[str, int]

    def refuses(self, label: str, spent: int) -> str | None:
        """Why the next check request on ``label`` is not sent, or None."""
        ceiling = self.share.get(label)
        if ceiling is None or spent < ceiling:
            return None
        return (
            f"throttled: this process's share of the {label} bucket ({ceiling:,}) is spent; "
            f"the rest is kept for clean-up"
        )


def ceilings(left: dict[str, int], reserved: dict[str, int], processes: int) -> Ceilings:
    """``left``: what each bucket has in its window (limit minus what earlier runs spent)."""
    share = {
        label: max(0, n - reserved.get(label, 0)) // max(1, processes) for label, n in left.items()
    }
    return Ceilings(share)
