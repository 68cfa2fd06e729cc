"""NoUndocumentedWrite: no caller, not even trusted staff, changes state beyond what the
documented API does.

A route the frameworks answer but nobody documented (a method a resource's allowed methods
were widened to, a second URL pattern that catches a misspelt path, a PUT that creates the
object it was meant to update) is a way in that no review looks at; so is a documented write
that also changes what it does not address. Staff may write through the documented routes, to
the object a request names; any other change the whole read shows is reported here, apart from
the negative-credential findings of ``no-unauthenticated-write``: it says the API does more
than its spec, not that authentication failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INVARIANT = "no-undocumented-write"


def summary(how: str, changes: Sequence[Any]) -> str:
    return f"trusted staff changed state beyond what the documented API allows ({how})"
