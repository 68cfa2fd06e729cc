"""Building ``Authorization`` header values, one function per form.

The two APIs parse the header differently, and the differences decide which
whitespace is a defect (release-api.md 2.1, 2.5):

- v1 splits ``<scheme> <data>`` on the first single space, so two spaces, a tab
  or a missing space are all rejected;
- v2 (DRF) splits on any ASCII whitespace, so ``Token  <key>`` and ``Token\\t<key>``
  are *valid*; only non-ASCII or non-whitespace separators fail to split there.

Every server strips whitespace around a header value, so no builder here ever
relies on leading or trailing whitespace as the defect, and nothing here adds a
CR or LF (http.client refuses them).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.attempts import Pairs
from authfuzz.branches import Api
from authfuzz.principals import Principal
from strategies.variant import Variant

# The candidate header values for one principal, each *without* its scheme: ``value`` and
# ``how`` start right after the scheme (usually with the separator). See ``per_principal``.
Forms = Callable[[Principal], list[SearchStrategy[Variant]]]

AUTHORIZATION = "Authorization"
APIKEY = "ApiKey"
TOKEN = "Token"

# v1: anything between scheme and data that is not exactly one space.
V1_ODD_SEPARATORS = (
    "  ",
    "   ",
    "\t",
    " \t",
    "\t ",
    "\xa0",
    "\u2002",
    "\u3000",
    "\u200b",
    "\x0b",
    "\x0c",
    "\x1f",
)
# v2: separators ``bytes.split()`` does not split on (it splits on ASCII whitespace only).
V2_NON_SPLITTING_SEPARATORS = ("\xa0", "\u2002", "\u3000", "\u200b", "\x1f", "\x00")
# Separators safe after a complete credential: whitespace to both parsers and not a line
# break to any header parser (\v, \f and \x1c-\x1e are line breaks to str.splitlines).
WORD_SEPARATORS = (" ", "\t")
# Characters that are not a colon, for ``ApiKey user<sep>key``: ASCII and look-alikes.
NOT_COLONS = (";", "=", ",", "|", "/", ".", "%3A", "\uff1a", "\ufe55", "\u2236", "\u0589", "\u02d0")


def authorization(*values: str) -> Pairs:
    """One ``Authorization`` header per value (two values: a duplicated header)."""
    return tuple((AUTHORIZATION, value) for value in values)


def apikey(username: str, key: str, scheme: str = APIKEY, separator: str = " ") -> str:
    """v1: ``ApiKey <username>:<key>``."""
    return f"{scheme}{separator}{username}:{key}"


def token(value: str, scheme: str = TOKEN, separator: str = " ") -> str:
    """v2: ``Token <key>``."""
    return f"{scheme}{separator}{value}"


def canonical(principal: Principal, api: Api) -> str:
    """The one form the server must accept: ``ApiKey user:key`` (v1), ``Token key`` (v2)."""
    if api is Api.V1:
        if principal.api_key is None:
            raise ValueError(f"{principal.name} has no api_key")
        return apikey(principal.username, principal.api_key)
    if principal.token is None:
        raise ValueError(f"{principal.name} has no token")
    return token(principal.token)


def basic(username: str, secret: str) -> str:
    """``Basic base64(username:secret)`` (RFC 7617), UTF-8 encoded."""
    encoded = base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")
    return f"Basic {encoded}"


def basic_password(p: Principal) -> list[Variant]:
    """The principal's password under Basic, if it has one: what an added Basic auth takes."""
    if not p.password:
        return []
    return [
        Variant.of(
            basic(p.username, p.password),
            "scheme:basic-password",
            f"Basic base64({p.username}:<{p.name}'s password>)",
        )
    ]


def digest(username: str, secret: str) -> str:
    """A Digest header carrying the secret as the response (no API accepts Digest)."""
    return f'Digest username="{username}", realm="api", nonce="0", uri="/", response="{secret}"'


def _mixed_case(scheme: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(scheme, flips, strict=True))


def scheme_spellings(scheme: str) -> SearchStrategy[Variant]:
    """``scheme`` as written, lower, upper or in mixed case.

    Both APIs match the scheme case-insensitively, so a different case is never
    a defect by itself: only use this on attempts that are negative for
    another reason. ``labels`` is empty for the canonical spelling.
    """

    def spelled(value: str) -> Variant:
        if value == scheme:
            return Variant(value, (), value)
        kind = "lower" if value == value.lower() else "upper" if value == value.upper() else "mixed"
        return Variant(value, (f"scheme-case:{kind}",), value)

    mixed = st.lists(st.booleans(), min_size=len(scheme), max_size=len(scheme)).map(
        lambda flips: _mixed_case(scheme, flips)
    )
    return st.one_of(st.just(scheme), st.sampled_from([scheme.lower(), scheme.upper()]), mixed).map(
        spelled
    )


def whitespace_name(chars: str) -> str:
    """Spell out invisible separators for descriptions: "space+tab", "U+00A0"."""
    names = {" ": "space", "\t": "tab"}
    return "+".join(names.get(c, f"U+{ord(c):04X}") for c in chars)


def per_principal(
    people: tuple[Principal, ...], forms: Forms, scheme: str = APIKEY
) -> SearchStrategy[Variant]:
    """One of ``people``'s forms, prefixed with a spelling of ``scheme``.

    The scheme spelling is varied here, so every form must already be negative
    with the canonical spelling; the spelling's label is appended to the
    form's. Forms are built once per principal (no ``flatmap``): drawing stays
    cheap and shrinks well.
    """
    rests = st.one_of([st.one_of(forms(p)) for p in people])
    return st.builds(
        lambda s, rest: Variant(s.value + rest.value, rest.labels + s.labels, s.value + rest.how),
        scheme_spellings(scheme),
        rests,
    )
