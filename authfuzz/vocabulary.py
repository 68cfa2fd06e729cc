"""The API's small facts, each written once: what it holds, where, and how staff is named.

python.org's downloads API has three resources under two roots; a release file belongs to
an OS and a release, and the database deletes it with either. A staff principal names itself
with ``ApiKey user:key`` on v1 and ``Token t`` on v2. A 429 is a throttle: whatever did not
get its answer because of one was not checked for that reason (``Cause.THROTTLE``), and any
other missing answer is a fault. Everything else in the harness says these through here, so
that a change of the API (a fourth resource, a new root) is one edit.
"""

from __future__ import annotations

from authfuzz.not_checked import Cause

RESOURCES = ("os", "release", "release_file")  # in the order they must be recreated
REMOVAL_ORDER = tuple(reversed(RESOURCES))  # files first; a release takes its files along
RELATIONS = ("os", "release")  # a release file's references
# What else a delete of each resource takes with it (the database cascades).
CASCADES: dict[str, tuple[str, ...]] = {
    "os": ("os", "release_file"),
    "release": ("release", "release_file"),
    "release_file": ("release_file",),
}
RESOURCE_PATTERN = "|".join(RESOURCES)  # for the path patterns of ``api_shapes``

V1 = "/api/v1/downloads"
V2 = "/api/v2/downloads"
ROOTS = {"v1": V1, "v2": V2}

THROTTLED = 429


def list_path(api: str, resource: str) -> str:
    return f"{ROOTS[api]}/{resource}/"


def detail_path(api: str, resource: str, pk: int) -> str:
    return f"{ROOTS[api]}/{resource}/{pk}/"


def api_key_header(username: str, api_key: str) -> tuple[str, str]:
    """v1's credential (Tastypie's ApiKeyAuthentication)."""
    return ("Authorization", f"ApiKey {username}:{api_key}")


def token_header(token: str) -> tuple[str, str]:
    """v2's credential (DRF's TokenAuthentication)."""
    return ("Authorization", f"Token {token}")


def unanswered_cause(status: int) -> Cause:
    """Why a request that got no real answer leaves its check unchecked."""
    return Cause.THROTTLE if status == THROTTLED else Cause.FAULT
