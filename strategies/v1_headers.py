"""Negative v1 ``Authorization`` values, one strategy per header branch.

v1 at HEAD (release-api.md 2.1, 2.2): ``<scheme><one space><user>:<key>``, split
on the first space; the scheme is ``apikey`` in any case; exactly one colon;
both sides non-empty; the username matched exactly; the user active; the key
equal to that user's key; writes need staff. Each strategy breaks exactly the
rule its branch names and keeps the others, mostly around a *valid* staff
credential, because a near-valid header is where a regression shows.

A strategy draws a ``Variant`` whose ``value`` is the whole header value and
whose ``how`` describes it without the secret. The scheme's case is varied
only where something else already makes the header invalid.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from strategies import keys, usernames
from strategies.availability import holders, other_key_pairs
from strategies.headers import (
    APIKEY,
    NOT_COLONS,
    TOKEN,
    V1_ODD_SEPARATORS,
    WORD_SEPARATORS,
    apikey,
    basic,
    basic_password,
    digest,
    per_principal,
    scheme_spellings,
    whitespace_name,
)
from strategies.travel_forms import foreign_scheme_values
from strategies.variant import Variant

# Whitespace placed inside the credential, where no server strips it.
INNER_WHITESPACE = (" ", "\t", "\xa0", "\u3000", "\x0b")
# Scheme names that are not ``apikey`` in any case: near misses and look-alikes.
MANGLED_APIKEY = (
    "Api-Key",
    "ApiKeys",
    "Api_Key",
    "X-ApiKey",
    "ApiKey:",
    "Api",
    "ApiKe",
    "Key",
    "\u0410piKey",
    "Ap\u0456Key",
    "\uff21piKey",
    "ApiKey\u200b",
    "\u200bApiKey",
)


def _key(p: Principal) -> str:
    assert p.api_key is not None  # holders() only returns principals with one
    return p.api_key


def _k(p: Principal) -> str:
    return f"<{p.name}'s api_key>"


def scheme_only(principals: Principals) -> SearchStrategy[Variant]:
    return scheme_spellings(APIKEY).map(
        lambda s: Variant(s.value, ("scheme-only", *s.labels), f"{s.value} alone")
    )


def no_colon(principals: Principals) -> SearchStrategy[Variant]:
    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        u, k = p.username, _key(p)
        return [
            st.just(Variant.of(f" {u}", "no-colon:username-only", f" {u}")),
            st.just(Variant.of(f" {k}", "no-colon:key-only", f" {_k(p)}")),
            st.just(Variant.of(f" {u}{k}", "no-colon:concatenated", f" {u}{_k(p)}")),
            st.sampled_from(NOT_COLONS).map(
                lambda c: Variant.of(
                    f" {u}{c}{k}",
                    "no-colon:other-separator",
                    f" {u}<{whitespace_name(c)} instead of ':'>{_k(p)}",
                )
            ),
        ]

    return per_principal(holders(principals, Api.V1), forms).filter(lambda v: ":" not in v.value)


def extra_colons(principals: Principals) -> SearchStrategy[Variant]:
    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        u, k = p.username, _key(p)
        fixed = [
            Variant.of(f" {u}:{k}:", "extra-colons:trailing", f" {u}:{_k(p)}:"),
            Variant.of(f" {u}::{k}", "extra-colons:doubled", f" {u}::{_k(p)}"),
            Variant.of(f" :{u}:{k}", "extra-colons:leading", f" :{u}:{_k(p)}"),
            Variant.of(f" {u}:{u}:{k}", "extra-colons:username-twice", f" {u}:{u}:{_k(p)}"),
        ]
        return [
            *map(st.just, fixed),
            st.integers(1, max(1, len(k) - 1)).map(
                lambda i: Variant.of(
                    f" {u}:{k[:i]}:{k[i:]}",
                    "extra-colons:inside-key",
                    f" {u}:{_k(p)} with a colon after character {i}",
                )
            ),
            st.text(keys.SUFFIX_CHARACTERS, min_size=1, max_size=8).map(
                lambda w: Variant.of(
                    f" {u}:{k}:{w}", "extra-colons:extra-field", f" {u}:{_k(p)}:<word>"
                )
            ),
        ]

    return per_principal(holders(principals, Api.V1), forms)


def odd_whitespace(principals: Principals) -> SearchStrategy[Variant]:
    """A valid staff credential whose only defect is whitespace inside the header.

    Never leading or trailing whitespace: servers strip it, and the header
    would be valid again.
    """

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        u, k = p.username, _key(p)
        inside_key = st.tuples(st.integers(1, len(k) - 1), st.sampled_from(INNER_WHITESPACE)).map(
            lambda t: Variant.of(
                f" {u}:{k[: t[0]]}{t[1]}{k[t[0] :]}",
                "whitespace:inside-key",
                f" {u}:{_k(p)} with {whitespace_name(t[1])} after character {t[0]}",
            )
        )
        return [
            *([inside_key] if len(k) >= 2 else []),
            st.sampled_from(V1_ODD_SEPARATORS).map(
                lambda sep: Variant.of(
                    f"{sep}{u}:{k}",
                    "whitespace:separator",
                    f"<{whitespace_name(sep)}>{u}:{_k(p)}",
                )
            ),
            st.just(Variant.of(f"{u}:{k}", "whitespace:missing", f"{u}:{_k(p)} (no space)")),
            st.sampled_from(INNER_WHITESPACE).map(
                lambda ws: Variant.of(
                    f" {u}{ws}:{k}",
                    "whitespace:before-colon",
                    f" {u}<{whitespace_name(ws)}>:{_k(p)}",
                )
            ),
            st.sampled_from(INNER_WHITESPACE).map(
                lambda ws: Variant.of(
                    f" {u}:{ws}{k}",
                    "whitespace:after-colon",
                    f" {u}:<{whitespace_name(ws)}>{_k(p)}",
                )
            ),
            st.tuples(
                st.sampled_from(WORD_SEPARATORS),
                st.text(keys.SUFFIX_CHARACTERS, min_size=1, max_size=8),
            ).map(
                lambda t: Variant.of(
                    f" {u}:{k}{t[0]}{t[1]}",
                    "whitespace:trailing-word",
                    f" {u}:{_k(p)}<{whitespace_name(t[0])}><word>",
                )
            ),
        ]

    return per_principal(holders(principals, Api.V1, Role.STAFF), forms)


def empty_username(principals: Principals) -> SearchStrategy[Variant]:
    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [
            st.sampled_from(
                [
                    Variant.of(f" :{_key(p)}", "empty-username", f" :{_k(p)}"),
                    Variant.of(" :", "empty-username:both-empty", " :"),
                ]
            )
        ]

    return per_principal(holders(principals, Api.V1), forms)


def empty_key(principals: Principals) -> SearchStrategy[Variant]:
    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [st.just(Variant.of(f" {p.username}:", "empty-key", f" {p.username}:"))]

    return per_principal(principals.members, forms)


def unknown_user(principals: Principals) -> SearchStrategy[Variant]:
    """An unknown username with a real (staff first) or a random key."""
    all_keys = frozenset(p.api_key for p in principals.members if p.api_key)
    known_keys = [
        Variant.of(_key(p), "with-known-key", f"{p.name}'s api_key")
        for p in holders(principals, Api.V1)
    ]
    key_choices = st.one_of(
        st.sampled_from(known_keys),
        keys.random_secrets(all_keys).map(lambda v: Variant.of(v.value, "with-random-key", v.how)),
    )
    return st.builds(
        lambda s, name, key: Variant(
            apikey(name.value, key.value, s.value),
            name.labels + key.labels + s.labels,
            f"{s.value} <{name.how}>:<{key.how}>",
        ),
        scheme_spellings(APIKEY),
        usernames.unknown_usernames(principals.usernames()),
        key_choices,
    )


def username_variant(principals: Principals) -> SearchStrategy[Variant]:
    known = principals.usernames()

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [
            usernames.username_variants(p.username, p.name, known).map(
                lambda v: Variant(f" {v.value}:{_key(p)}", v.labels, f" <{v.how}>:{_k(p)}")
            )
        ]

    return per_principal(holders(principals, Api.V1), forms)


def wrong_key(principals: Principals) -> SearchStrategy[Variant]:
    """A known username with a key that is not its own (the Feb-2026 branch)."""
    all_keys = frozenset(p.api_key for p in principals.members if p.api_key)

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [
            keys.wrong_secrets(p.api_key, f"{p.name}'s api_key", all_keys).map(
                lambda v: Variant(f" {p.username}:{v.value}", v.labels, f" {p.username}:<{v.how}>")
            )
        ]

    return per_principal(principals.members, forms)


def other_users_key(principals: Principals) -> SearchStrategy[Variant]:
    owners = tuple(dict.fromkeys(owner.name for owner, _ in other_key_pairs(principals)))
    people = tuple(principals.by_name(name) for name in owners)

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        return [
            st.sampled_from(keys.other_principals_keys(principals, p)).map(
                lambda v: Variant(f" {p.username}:{v.value}", v.labels, f" {p.username}:<{v.how}>")
            )
        ]

    return per_principal(people, forms)


def _valid_of(role: Role, label: str) -> Callable[[Principals], SearchStrategy[Variant]]:
    def build(principals: Principals) -> SearchStrategy[Variant]:
        def forms(p: Principal) -> list[SearchStrategy[Variant]]:
            return [
                st.just(Variant.of(f" {p.username}:{_key(p)}", label, f" {p.username}:{_k(p)}"))
            ]

        return per_principal(holders(principals, Api.V1, role), forms)

    build.__doc__ = f"The valid key of a {role.value} principal: authenticates, cannot write."
    return build


non_staff = _valid_of(Role.USER, "non-staff")
inactive = _valid_of(Role.INACTIVE, "inactive")


def other_scheme_forms(p: Principal) -> list[Variant]:
    """The staff principal's own secrets under fixed foreign schemes (also the sub-forms)."""
    u, k = p.username, _key(p)
    fixed = [
        Variant.of(f"Bearer {k}", "scheme:bearer", f"Bearer {_k(p)}"),
        Variant.of(basic(u, k), "scheme:basic-key", f"Basic base64({u}:{_k(p)})"),
        Variant.of(digest(u, k), "scheme:digest", f"Digest with {_k(p)} as response"),
        Variant.of(f"{TOKEN} {k}", "scheme:token-with-api-key", f"{TOKEN} {_k(p)}"),
    ]
    if p.token:
        fixed.append(
            Variant.of(f"Bearer {p.token}", "scheme:bearer-token", f"Bearer <{p.name}'s token>")
        )
    return fixed + basic_password(p)


def other_scheme(principals: Principals) -> SearchStrategy[Variant]:
    """Staff secrets under schemes v1 does not accept (nothing that is ``apikey`` in any case)."""

    def schemes(p: Principal) -> SearchStrategy[Variant]:
        u, k = p.username, _key(p)
        fixed = other_scheme_forms(p)
        mangled = st.sampled_from(MANGLED_APIKEY).map(
            lambda name: Variant.of(
                apikey(u, k, name), "scheme:mangled", f"{ascii(name)[1:-1]} {u}:{_k(p)}"
            )
        )
        return st.one_of(*map(st.just, fixed), mangled)

    return st.one_of(
        *[schemes(p) for p in holders(principals, Api.V1, Role.STAFF)],
        st.sampled_from(foreign_scheme_values(principals, Api.V1)),
    ).filter(lambda v: v.value.split(" ", 1)[0].lower() != "apikey")


def cross_version(principals: Principals) -> SearchStrategy[Variant]:
    """A staff v2 token, ``Token <token>``: v1 does not know that scheme."""

    def forms(p: Principal) -> list[SearchStrategy[Variant]]:
        assert p.token is not None
        return [st.just(Variant.of(f" {p.token}", "cross-version:token", f" <{p.name}'s token>"))]

    return per_principal(holders(principals, Api.V2, Role.STAFF), forms, scheme=TOKEN)


BRANCHES: dict[Branch, Callable[[Principals], SearchStrategy[Variant]]] = {
    Branch.SCHEME_ONLY: scheme_only,
    Branch.NO_COLON: no_colon,
    Branch.EXTRA_COLONS: extra_colons,
    Branch.ODD_WHITESPACE: odd_whitespace,
    Branch.EMPTY_USERNAME: empty_username,
    Branch.EMPTY_KEY: empty_key,
    Branch.UNKNOWN_USER: unknown_user,
    Branch.USERNAME_VARIANT: username_variant,
    Branch.WRONG_KEY: wrong_key,
    Branch.OTHER_USERS_KEY: other_users_key,
    Branch.NON_STAFF: non_staff,
    Branch.INACTIVE: inactive,
    Branch.OTHER_SCHEME: other_scheme,
    Branch.CROSS_VERSION: cross_version,
}
# Headers that no parser could read as a credential at all (for "session + malformed header").
MALFORMED = (
    Branch.SCHEME_ONLY,
    Branch.NO_COLON,
    Branch.EXTRA_COLONS,
    Branch.ODD_WHITESPACE,
    Branch.EMPTY_USERNAME,
    Branch.EMPTY_KEY,
)
