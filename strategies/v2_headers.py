"""Negative v2 ``Authorization`` values, one strategy per header branch.

v2 at HEAD is DRF's ``TokenAuthentication`` (release-api.md 2.5): the header is
split on ASCII whitespace; the first part must be ``token`` in any case; there
must be exactly two parts; the second is looked up exactly; the user must be
active; writes need staff. So, unlike v1, ``Token  <key>``, ``Token\\t<key>``
and ``token <key>`` are valid and never appear here; the whitespace defects
are a third part, a missing separator or a separator that is not ASCII
whitespace.

A v2 token is the whole credential: another staff principal's token is valid,
so unlike v1 there is no "another principal's secret" branch; wrong tokens
exclude every known token.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from strategies import keys
from strategies.availability import holders
from strategies.headers import (
    APIKEY,
    TOKEN,
    V2_NON_SPLITTING_SEPARATORS,
    WORD_SEPARATORS,
    Forms,
    basic,
    basic_password,
    digest,
    per_principal,
    scheme_spellings,
    token,
    whitespace_name,
)
from strategies.travel_forms import foreign_scheme_values
from strategies.variant import Variant

# Scheme names that are not ``token`` in any case: near misses and look-alikes.
MANGLED_TOKEN = (
    "Tokens",
    "Token:",
    "Token=",
    "Toke",
    "Tok",
    "X-Token",
    "Auth-Token",
    "JWT",
    "T\u043eken",
    "\uff34oken",
    "Token\u200b",
    "\u200bToken",
)


def _token(p: Principal) -> str:
    assert p.token is not None  # holders() only returns principals with one
    return p.token


def _t(p: Principal) -> str:
    return f"<{p.name}'s token>"


def _per(people: tuple[Principal, ...], forms: Forms) -> SearchStrategy[Variant]:
    return per_principal(people, forms, scheme=TOKEN)


def scheme_only(principals: Principals) -> SearchStrategy[Variant]:
    return scheme_spellings(TOKEN).map(
        lambda s: Variant(s.value, ("scheme-only", *s.labels), f"{s.value} alone")
    )


def odd_whitespace(principals: Principals) -> SearchStrategy[Variant]:
    """A valid staff token with a third part, no separator, or a non-splitting separator."""

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        t = _token(p)
        word = st.text(keys.SUFFIX_CHARACTERS, min_size=1, max_size=8)
        split = (
            [
                st.tuples(st.integers(1, len(t) - 1), st.sampled_from(WORD_SEPARATORS)).map(
                    lambda c: Variant.of(
                        f" {t[: c[0]]}{c[1]}{t[c[0] :]}",
                        "whitespace:split-token",
                        f" {_t(p)} with {whitespace_name(c[1])} after character {c[0]}",
                    )
                )
            ]
            if len(t) >= 2
            else []
        )
        return [
            *split,
            st.tuples(st.sampled_from(WORD_SEPARATORS), word).map(
                lambda c: Variant.of(
                    f" {t}{c[0]}{c[1]}",
                    "whitespace:extra-word",
                    f" {_t(p)}<{whitespace_name(c[0])}><word>",
                )
            ),
            st.just(Variant.of(f" {t} {t}", "whitespace:doubled-token", f" {_t(p)} {_t(p)}")),
            st.just(Variant.of(f" {TOKEN} {t}", "whitespace:scheme-twice", f" {TOKEN} {_t(p)}")),
            st.just(Variant.of(f"{t}", "whitespace:missing", f"{_t(p)} (no space)")),
            st.sampled_from(V2_NON_SPLITTING_SEPARATORS).map(
                lambda sep: Variant.of(
                    f"{sep}{t}",
                    "whitespace:non-splitting-separator",
                    f"<{whitespace_name(sep)}>{_t(p)}",
                )
            ),
        ]

    return _per(holders(principals, Api.V2, Role.STAFF), forms)


def _valid_of(role: Role, label: str) -> Callable[[Principals], SearchStrategy[Variant]]:
    def build(principals: Principals) -> SearchStrategy[Variant]:
        def forms(p: Principal) -> list[SearchStrategy[Variant]]:
            return [st.just(Variant.of(f" {_token(p)}", label, f" {_t(p)}"))]

        return _per(holders(principals, Api.V2, role), forms)

    build.__doc__ = f"The valid token of a {role.value} principal: authenticates, cannot write."
    return build


non_staff = _valid_of(Role.USER, "non-staff")
inactive = _valid_of(Role.INACTIVE, "inactive")


def other_scheme_forms(p: Principal) -> list[Variant]:
    """The staff principal's own secrets under fixed foreign schemes (also the sub-forms)."""
    u, t = p.username, _token(p)
    fixed = [
        Variant.of(f"Bearer {t}", "scheme:bearer", f"Bearer {_t(p)}"),
        Variant.of(basic(u, t), "scheme:basic-token", f"Basic base64({u}:{_t(p)})"),
        Variant.of(digest(u, t), "scheme:digest", f"Digest with {_t(p)} as response"),
    ]
    return fixed + basic_password(p)


def other_scheme(principals: Principals) -> SearchStrategy[Variant]:
    """Staff secrets under schemes v2 ignores (nothing that is ``token`` in any case)."""

    def schemes(p: Principal) -> SearchStrategy[Variant]:
        t = _token(p)
        fixed = other_scheme_forms(p)
        mangled = st.sampled_from(MANGLED_TOKEN).map(
            lambda name: Variant.of(
                token(t, name), "scheme:mangled", f"{ascii(name)[1:-1]} {_t(p)}"
            )
        )
        return st.one_of(*map(st.just, fixed), mangled)

    return st.one_of(
        *[schemes(p) for p in holders(principals, Api.V2, Role.STAFF)],
        st.sampled_from(foreign_scheme_values(principals, Api.V2)),
    ).filter(lambda v: v.value.split()[0].lower() != "token")


def cross_version(principals: Principals) -> SearchStrategy[Variant]:
    """A staff v1 credential, ``ApiKey <user>:<key>``: v2 does not know that scheme."""

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        assert p.api_key is not None
        return [
            st.just(
                Variant.of(
                    f" {p.username}:{p.api_key}",
                    "cross-version:apikey",
                    f" {p.username}:<{p.name}'s api_key>",
                )
            )
        ]

    return per_principal(holders(principals, Api.V1, Role.STAFF), forms, scheme=APIKEY)


def bad_token(principals: Principals) -> SearchStrategy[Variant]:
    """Near misses of any principal's token, random tokens and placeholders."""
    all_tokens = frozenset(p.token for p in principals.members if p.token)

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [
            keys.wrong_secrets(_token(p), f"{p.name}'s token", all_tokens).map(
                lambda v: Variant(f" {v.value}", v.labels, f" <{v.how}>")
            ),
            keys.placeholders(all_tokens).map(
                lambda v: Variant(f" {v.value}", v.labels, f" <{v.how}>")
            ),
        ]

    return _per(holders(principals, Api.V2), forms)


BRANCHES: dict[Branch, Callable[[Principals], SearchStrategy[Variant]]] = {
    Branch.SCHEME_ONLY: scheme_only,
    Branch.ODD_WHITESPACE: odd_whitespace,
    Branch.NON_STAFF: non_staff,
    Branch.INACTIVE: inactive,
    Branch.OTHER_SCHEME: other_scheme,
    Branch.CROSS_VERSION: cross_version,
    Branch.BAD_TOKEN: bad_token,
}
# Headers that carry no usable v2 credential (for "session + malformed header").
MALFORMED = (Branch.SCHEME_ONLY, Branch.ODD_WHITESPACE, Branch.BAD_TOKEN)
