"""Where identity and method can travel in a request: the table the negative branches come from.

The API reads identity from one place (the ``Authorization`` header, in its own scheme) and the
method from one place (the request line; v1's Tastypie also honours
``X-HTTP-Method-Override``). Frameworks, middlewares and the proxies in front of them read more:
other override headers and a ``_method`` parameter, other schemes, identity headers that a
reverse proxy sets, "internal" client addresses, cookies. A server that trusts any of them in
the wrong place writes for someone it never authenticated. Each row below is therefore sent on
purpose as a negative branch or a sub-form of one (``strategies.travel_forms``), against every
write operation, and judged by reading state back like every other attempt.

The production guard (``authfuzz.client.guard``) reads ``OVERRIDE_HEADERS`` and
``OVERRIDE_PARAMS`` from here: a request carrying any of them could be a write on a vulnerable
server, so none of them ever reaches a production target.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Where(StrEnum):
    """The part of the request a row travels in."""

    HEADER = "header"
    QUERY = "query"
    FORM = "form"  # a form-encoded body (and, where the API parses it, multipart)
    COOKIE = "cookie"


@dataclass(frozen=True)
class MethodOverride:
    """A way to ask for another method than the request line's."""

    where: Where
    name: str  # the header or parameter name
    carriers: tuple[str, ...]  # the request-line methods it is tried on

    @property
    def label(self) -> str:
        return f"override:{self.where.value}:{self.name.lower()}"


# Tastypie honours the first natively; the others are what method-override middlewares and
# client libraries use. A form parameter needs a body, so it only travels on a POST.
METHOD_OVERRIDES: tuple[MethodOverride, ...] = (
    MethodOverride(Where.HEADER, "X-HTTP-Method-Override", ("GET", "POST", "HEAD")),
    MethodOverride(Where.HEADER, "X-HTTP-Method", ("GET", "POST")),
    MethodOverride(Where.HEADER, "X-Method-Override", ("GET", "POST")),
    MethodOverride(Where.QUERY, "_method", ("GET", "POST")),
    MethodOverride(Where.FORM, "_method", ("POST",)),
)
OVERRIDE_HEADERS = frozenset(o.name.lower() for o in METHOD_OVERRIDES if o.where is Where.HEADER)
OVERRIDE_PARAMS = frozenset(o.name.lower() for o in METHOD_OVERRIDES if o.where is not Where.HEADER)


class Secret(StrEnum):
    """What an ``Authorization`` value carries, for the scheme x secret rows."""

    NONE = "none"  # the scheme alone
    EMPTY = "empty"  # the scheme and an empty credential
    WRONG = "wrong"  # a well-formed credential that is nobody's
    OTHER_USERS = "other-users"  # a non-staff principal's own secret
    RIGHT_ONE = "right-one"  # the staff principal's secret, in a scheme the API does not take


# Schemes the API does not accept (v1 takes only ``ApiKey``, v2 only ``Token``); each is tried
# with every ``Secret``. The other version's scheme is in the cross-version branch.
FOREIGN_SCHEMES: tuple[str, ...] = ("Bearer", "Basic", "Digest", "JWT")


@dataclass(frozen=True)
class IdentityHeader:
    """A header a reverse proxy sets after its own login, which an app must not take from a client."""

    name: str

    @property
    def label(self) -> str:
        return f"proxy-identity:{self.name.lower()}"


PROXY_IDENTITY_HEADERS: tuple[IdentityHeader, ...] = tuple(
    IdentityHeader(name)
    for name in (
        "X-Remote-User",
        "Remote-User",
        "X-Forwarded-User",
        "X-Auth-Request-User",
        "X-User",
        "X-Webauth-User",
        "X-Authenticated-User",
        "X-Forwarded-Preferred-Username",
    )
)


@dataclass(frozen=True)
class TrustHint:
    """A header claiming the request comes from inside: loopback or a private network."""

    name: str
    value: str

    @property
    def label(self) -> str:
        return f"internal-trust:{self.name.lower()}={self.value}"


TRUST_HINTS: tuple[TrustHint, ...] = (
    TrustHint("X-Forwarded-For", "127.0.0.1"),
    TrustHint("X-Forwarded-For", "10.0.0.1"),
    TrustHint("X-Real-IP", "127.0.0.1"),
    TrustHint("X-Real-IP", "10.0.0.1"),
    TrustHint("X-Client-IP", "127.0.0.1"),
    TrustHint("True-Client-IP", "127.0.0.1"),
    TrustHint("X-Forwarded-For", "192.168.0.1"),
    TrustHint("X-Real-IP", "172.16.0.1"),
    TrustHint("Forwarded", "for=127.0.0.1"),
)


class CookieForm(StrEnum):
    """The session cookies tried without an API credential (the session-cookie branch)."""

    STAFF_SESSION = "session:no-header"  # a real staff session, no key
    STAFF_SESSION_EMPTY_HEADER = "session:empty-header"
    FORGED = "session:forged"  # a session id the server never issued
    OTHER_USERS = "session:non-staff"  # a real session of a non-staff user


# The body formats each API parses, by write path: every URL case and the negative attempts
# whose meaning depends on the body (form credentials, a form ``_method``) go through each.
BODY_FORMATS: dict[str, tuple[str, ...]] = {
    "v1": ("json", "xml", "yaml"),
    "v2": ("json", "form", "multipart"),
}
