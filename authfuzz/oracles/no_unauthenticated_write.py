"""NoUnauthenticatedWrite: a request without valid staff credentials changes nothing.

Judged on the whole state read back, never on the status: any change the read shows that no
valid staff write explains is a violation, whatever object it touched, whatever the status
said. A 400 is never evidence either way (v1 validates before it authorizes). A 2xx is a
violation too when the read shows nothing: the server accepted the credential, and only the
body kept the write from landing. A request whose answer was lost is judged by the read alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

INVARIANT = "no-unauthenticated-write"


def summary(how: str, changes: Sequence[Any]) -> str:
    return f"the write took effect ({how}) without valid staff credentials"


def accepted(sent_as_read: bool) -> Callable[[Any, bool], tuple[str, str] | None]:
    """The answer rule: a 2xx to a write is a violation, unless the request line was a read
    (an override that a server ignoring it answers as a GET says nothing)."""

    def judge(response: Any, aim_changed: bool) -> tuple[str, str] | None:
        if 200 <= response.status < 300 and not sent_as_read and not aim_changed:
            return (
                f"the server accepted the request (status {response.status}) although "
                "read-back shows no change",
                "nothing changed in the whole state read back",
            )
        return None

    return judge


def control_failed(status: int, missing: str) -> str:
    """Why a valid staff write did not visibly work: the gate would be blind."""
    return (
        f"the valid staff credential got status {status} and read-back shows: {missing}; "
        "without a working positive control the gate cannot tell a rejection from a broken "
        "request"
    )
