"""The negative authentication branches: the coverage checklist of the gate.

Every member is one way a request can present credentials that must not allow
a write. The default run exercises each applicable member against each write
operation, and the coverage matrix is drawn from this enum, so adding a member
here makes a gap visible until a strategy reaches it.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class Api(StrEnum):
    V1 = "v1"
    V2 = "v2"


class Branch(Enum):
    # value: (short description, APIs the branch applies to)
    NO_CREDENTIALS = ("no credentials at all", (Api.V1, Api.V2))
    EMPTY_HEADER = ("Authorization header present but empty", (Api.V1, Api.V2))
    SCHEME_ONLY = ("scheme with no credentials ('ApiKey', 'Token')", (Api.V1, Api.V2))
    NO_COLON = ("ApiKey data without a colon", (Api.V1,))
    EXTRA_COLONS = ("ApiKey data with two or more colons", (Api.V1,))
    ODD_WHITESPACE = ("extra, missing or unusual whitespace in the header", (Api.V1, Api.V2))
    EMPTY_USERNAME = ("ApiKey with an empty username", (Api.V1,))
    EMPTY_KEY = ("ApiKey with an empty key", (Api.V1,))
    UNKNOWN_USER = ("a username no account has", (Api.V1,))
    USERNAME_VARIANT = (
        "a known username altered (case, whitespace, confusables, control chars) with its key",
        (Api.V1,),
    )
    WRONG_KEY = ("a known username with a wrong key (the Feb-2026 branch)", (Api.V1,))
    OTHER_USERS_KEY = ("a known username with another principal's key", (Api.V1,))
    NON_STAFF = ("a valid credential of a non-staff user", (Api.V1, Api.V2))
    INACTIVE = ("a valid credential of an inactive user", (Api.V1, Api.V2))
    OTHER_SCHEME = ("a scheme the API does not accept (Bearer, Basic, ...)", (Api.V1, Api.V2))
    LEGACY_QUERY = ("credentials in the query string (username/api_key, token)", (Api.V1, Api.V2))
    LEGACY_FORM = ("username/api_key in a form-encoded body", (Api.V1,))
    SESSION_COOKIE = ("a staff session cookie and no API credential", (Api.V1, Api.V2))
    MIXED_SOURCES = (
        "credentials from several sources or duplicated headers that disagree",
        (Api.V1, Api.V2),
    )
    METHOD_OVERRIDE = (
        "a GET, POST or HEAD asking for another method (override header or _method), no valid key",
        (Api.V1, Api.V2),
    )
    PROXY_IDENTITY = (
        "an identity header a reverse proxy sets (X-Remote-User, X-Forwarded-User, ...)",
        (Api.V1, Api.V2),
    )
    INTERNAL_TRUST = (
        "a header claiming an internal client (X-Forwarded-For: 127.0.0.1, X-Real-IP, ...)",
        (Api.V1, Api.V2),
    )
    CROSS_VERSION = ("the other API version's credential", (Api.V1, Api.V2))
    BAD_TOKEN = ("a wrong, near-miss or malformed v2 token", (Api.V2,))

    @property
    def description(self) -> str:
        return str(self.value[0])

    @property
    def apis(self) -> tuple[Api, ...]:
        return tuple(self.value[1])

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def for_api(cls, api: Api) -> tuple[Branch, ...]:
        return tuple(b for b in cls if api in b.apis)
