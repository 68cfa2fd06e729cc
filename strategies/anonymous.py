"""Which v2 attempts a correct server answers as a read by the anonymous client.

v2 counts every request that passes authentication and permission, and an anonymous client
has 100 a day (release-api.md 5.2): a gate that runs several times a day can afford about
thirty of them per run. A write by an anonymous client is refused (401, not counted), so what
costs is a read: a GET or HEAD that carries no credential v2 reads, either no Authorization
header at all or one in a scheme other than ``Token`` (v2 ignores it and goes on as
anonymous). A bad token is refused before the throttle and costs nothing.

The strategies and suites use this to send such reads where they answer a question nothing
else asks, and to send their cheaper equivalents elsewhere.
"""

from __future__ import annotations

from authfuzz.attempts import Attempt
from authfuzz.branches import Api


def answered_as_anonymous(attempt: Attempt) -> bool:
    """A correct v2 server sees no credential in ``attempt``."""
    values = [v for name, v in attempt.headers if name.lower() == "authorization"]
    if not values:
        return True
    scheme = values[0].strip().partition(" ")[0]
    return scheme.lower() != "token"


def costs_anonymous_read(attempt: Attempt, method: str) -> bool:
    """``attempt`` sent as ``method`` (its override's carrier, if it has one) is a counted
    anonymous read on a correct v2 server."""
    via = attempt.override.via if attempt.override is not None else method
    return attempt.api is Api.V2 and via in ("GET", "HEAD") and answered_as_anonymous(attempt)
