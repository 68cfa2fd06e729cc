"""BulkDeleteStaysInScope: a bulk delete of release files never reaches past the release it names.

Even for trusted staff: a ``release`` filter that names one release (a single valid integer)
may delete that release's files and no others, and a query without a usable filter may delete
nothing. Judged on the whole state read back, never on the status: a 4xx is no evidence either
way (the deletion may have run before the error), and neither is a 2xx (v2 answers 204 for a pk
that does not exist and deletes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INVARIANT = "bulk-delete-stays-in-scope"


def summary(how: str, changes: Sequence[Any]) -> str:
    files = sum(1 for c in changes if c.resource == "release_file" and c.kind == "deleted")
    others = len(changes) - files
    extra = f" and changed {others} other object(s)" if others else ""
    return f"the bulk delete removed {files} release file(s) outside its scope{extra} ({how})"
