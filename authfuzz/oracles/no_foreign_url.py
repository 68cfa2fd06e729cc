"""NoForeignUrl: a value the URL policy rejects is never stored, whoever writes it.

Judged on the whole state read back, not on the status: any release file whose URL fields
break the policy where they did not before is a violation, whichever request addressed it and
whichever object it is (a write that changes ``url`` and leaves the old signature behind breaks
it on the object it wrote; a side effect can break it on another). A 2xx for a rejected value
is a violation as well unless the read shows a legal value took its place (a server that
normalises, as DRF trims whitespace, stores nothing foreign).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

INVARIANT = "no-foreign-url"


def summary(how: str, changes: Sequence[Any]) -> str:
    return f"stored a URL the policy rejects ({how})"


def accepted_rejected(policy_accepts: bool) -> Callable[[Any, bool], tuple[str, str] | None]:
    """The answer rule: a 2xx for a value the policy rejects, where nothing was stored."""

    def judge(response: Any, aim_changed: bool) -> tuple[str, str] | None:
        if policy_accepts or aim_changed or not 200 <= response.status < 300:
            return None
        return (
            f"accepted a URL the policy rejects (status {response.status})",
            "read-back shows no stored violation, but the server answered success",
        )

    return judge
