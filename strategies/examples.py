"""One fixed, representative attempt per branch: the one most likely to expose a regression.

Used where a single request per branch is wanted (production identity probes,
smoke runs, reports) and as the explicit example of each property test. Each
is chosen after a known defect or a plausible regression (release-api.md 4.1):
a one-character-off key for the Feb-2026 branch, valid legacy query/form
credentials for #3015 (a), a bare staff session and a session plus a
malformed header for #3015 (b), upper case for a case-insensitive lookup,
``Bearer`` for a token parser that accepts any keyword, and so on.

Pure functions of the principals: the same principals give the same attempt.
"""

from __future__ import annotations

from collections.abc import Callable

from authfuzz.attempts import Attempt, Pairs
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from authfuzz.travel import METHOD_OVERRIDES, PROXY_IDENTITY_HEADERS, TRUST_HINTS
from strategies import keys, travel_forms, usernames
from strategies.availability import (
    holders,
    key_of,
    other_key_pairs,
    session_holders,
    staff,
    token_of,
    unavailable_reason,
)
from strategies.headers import APIKEY, TOKEN, apikey, authorization, basic, token

Example = Callable[[Principals], Attempt]


def _header(api: Api, branch: Branch, value: str, how: str, *labels: str) -> Attempt:
    return Attempt(
        api, branch, f"Authorization: {how}", headers=authorization(value), labels=labels
    )


def _miss(secret: str, taken: frozenset[str]) -> str:
    """``secret`` with its last character changed, avoiding every known secret."""
    for step in range(1, 16):
        candidate = keys.one_char_off(secret, -1, step)
        if candidate not in taken:
            return candidate
    raise ValueError("no one-character-off value is free")  # needs 15 colliding secrets


def _valid_pair(p: Principal) -> tuple[Pairs, str]:
    return (
        (("username", p.username), ("api_key", key_of(p))),
        f"username={p.username}&api_key=<{p.name}'s api_key>",
    )


def _session_cookie(api: Api, principals: Principals) -> Attempt:
    who = session_holders(principals)[0]
    return Attempt(
        api,
        Branch.SESSION_COOKIE,
        f"{who.name}'s session cookie; no Authorization header",
        session_of=who.name,
        labels=("session:no-header",),
    )


def _v1_other_users_key(principals: Principals) -> Attempt:
    """A staff username with the trusted key: caught both by a lookup by key and a skipped check."""
    trusted = staff(principals, Api.V1)
    owner, key_owner = sorted(
        other_key_pairs(principals),
        key=lambda pair: (pair[1] is not trusted, pair[0].role is not Role.STAFF),
    )[0]
    return _header(
        Api.V1,
        Branch.OTHER_USERS_KEY,
        apikey(owner.username, key_of(key_owner)),
        f"ApiKey {owner.username}:<{key_owner.name}'s api_key>",
        f"other-key:{owner.role.value}-username-{key_owner.role.value}-key",
    )


def _v1_mixed(principals: Principals) -> Attempt:
    s = staff(principals, Api.V1)
    sessions = session_holders(principals)
    if sessions:  # #3015 (b): a malformed header fell back to guest and kept the session user
        return Attempt(
            Api.V1,
            Branch.MIXED_SOURCES,
            f"{sessions[0].name}'s session cookie; Authorization: ApiKey {s.username}",
            headers=authorization(f"{APIKEY} {s.username}"),
            session_of=sessions[0].name,
            labels=("mixed:session+malformed-header", "header:no-colon", "no-colon:username-only"),
        )
    pairs, how = _valid_pair(s)  # a malformed header used to fall back to the query string
    return Attempt(
        Api.V1,
        Branch.MIXED_SOURCES,
        f"Authorization: ApiKey {s.username}; query string {how}",
        headers=authorization(f"{APIKEY} {s.username}"),
        query=pairs,
        labels=("mixed:header+query", "header:no-colon", "no-colon:username-only"),
    )


def _travel(api: Api, branch: Branch, principals: Principals) -> Attempt:
    """The first row of the table: the header the commonest proxy set-ups use."""
    if branch is Branch.PROXY_IDENTITY:
        return travel_forms.proxy_identity_attempt(
            api, PROXY_IDENTITY_HEADERS[0], staff(principals, api)
        )
    return travel_forms.internal_trust_attempt(api, TRUST_HINTS[0])


def _v1(branch: Branch) -> Example:
    b, v1 = branch, Api.V1

    def example(principals: Principals) -> Attempt:
        s = staff(principals, v1)
        u, k = s.username, key_of(s)
        all_keys = frozenset(p.api_key for p in principals.members if p.api_key)
        if b is Branch.NO_CREDENTIALS:
            return Attempt(v1, b, "no Authorization header, no credential", labels=("none",))
        if b is Branch.EMPTY_HEADER:
            return _header(v1, b, "", "(empty)", "empty")
        if b is Branch.SCHEME_ONLY:
            return _header(v1, b, APIKEY, "ApiKey alone", "scheme-only")
        if b is Branch.NO_COLON:
            return _header(v1, b, f"{APIKEY} {u}", f"ApiKey {u}", "no-colon:username-only")
        if b is Branch.EXTRA_COLONS:
            return _header(
                v1,
                b,
                f"{apikey(u, k)}:x",
                f"ApiKey {u}:<{s.name}'s api_key>:x",
                "extra-colons:extra-field",
            )
        if b is Branch.ODD_WHITESPACE:
            return _header(
                v1,
                b,
                apikey(u, k, separator="  "),
                f"ApiKey<space+space>{u}:<{s.name}'s api_key>",
                "whitespace:separator",
            )
        if b is Branch.EMPTY_USERNAME:
            return _header(
                v1, b, f"{APIKEY} :{k}", f"ApiKey :<{s.name}'s api_key>", "empty-username"
            )
        if b is Branch.EMPTY_KEY:
            return _header(v1, b, f"{APIKEY} {u}:", f"ApiKey {u}:", "empty-key")
        if b is Branch.UNKNOWN_USER:  # a lookup by key alone would find the staff user
            name = usernames.representative_unknown(principals.usernames())
            return _header(
                v1,
                b,
                apikey(name, k),
                f"ApiKey {name}:<{s.name}'s api_key>",
                "unknown:plain",
                "with-known-key",
            )
        if b is Branch.USERNAME_VARIANT:
            variant = usernames.representative_variant(u, s.name, principals.usernames())
            return _header(
                v1,
                b,
                apikey(variant.value, k),
                f"ApiKey <{variant.how}>:<{s.name}'s api_key>",
                *variant.labels,
            )
        if b is Branch.WRONG_KEY:  # the Feb-2026 branch, with the closest possible key
            return _header(
                v1,
                b,
                apikey(u, _miss(k, all_keys)),
                f"ApiKey {u}:<{s.name}'s api_key with its last character changed>",
                "near-miss:one-char",
            )
        if b is Branch.OTHER_USERS_KEY:
            return _v1_other_users_key(principals)
        if b in (Branch.NON_STAFF, Branch.INACTIVE):
            role = Role.USER if b is Branch.NON_STAFF else Role.INACTIVE
            p = holders(principals, v1, role)[0]
            return _header(
                v1,
                b,
                apikey(p.username, key_of(p)),
                f"ApiKey {p.username}:<{p.name}'s api_key>",
                b.slug,
            )
        if b is Branch.OTHER_SCHEME:
            if s.password:  # what an added Basic/Session authentication would accept
                return _header(
                    v1,
                    b,
                    basic(u, s.password),
                    f"Basic base64({u}:<{s.name}'s password>)",
                    "scheme:basic-password",
                )
            return _header(
                v1, b, basic(u, k), f"Basic base64({u}:<{s.name}'s api_key>)", "scheme:basic-key"
            )
        if b in (Branch.LEGACY_QUERY, Branch.LEGACY_FORM):  # #3015 (a)
            pairs, how = _valid_pair(s)
            if b is Branch.LEGACY_QUERY:
                return Attempt(
                    v1,
                    b,
                    f"query string {how}; no Authorization header",
                    query=pairs,
                    labels=("query:valid-pair", "header:none"),
                )
            return Attempt(
                v1,
                b,
                f"form body {how}; no Authorization header",
                form=pairs,
                labels=("form:valid-pair", "header:none"),
            )
        if b is Branch.SESSION_COOKIE:  # #3015 (b)
            return _session_cookie(v1, principals)
        if b is Branch.MIXED_SOURCES:
            return _v1_mixed(principals)
        if b is Branch.METHOD_OVERRIDE:  # Tastypie honours this header before authenticating
            return travel_forms.override_attempt(v1, METHOD_OVERRIDES[0], "GET")
        if b in (Branch.PROXY_IDENTITY, Branch.INTERNAL_TRUST):
            return _travel(v1, b, principals)
        if b is Branch.CROSS_VERSION:
            p = holders(principals, Api.V2, Role.STAFF)[0]
            return _header(
                v1, b, token(token_of(p)), f"Token <{p.name}'s token>", "cross-version:token"
            )
        raise ValueError(f"{b.name} does not apply to v1")

    return example


def _v2_mixed(principals: Principals) -> Attempt:
    s = staff(principals, Api.V2)
    t = token_of(s)
    sessions = session_holders(principals)
    if sessions:  # a header TokenAuthentication ignores, so an added SessionAuthentication decides
        return Attempt(
            Api.V2,
            Branch.MIXED_SOURCES,
            f"Authorization: Bearer <{s.name}'s token>; {sessions[0].name}'s session cookie",
            headers=authorization(f"Bearer {t}"),
            session_of=sessions[0].name,
            labels=("mixed:header+session", "header:other-scheme", "scheme:bearer"),
        )
    return Attempt(
        Api.V2,
        Branch.MIXED_SOURCES,
        f"Authorization: Bearer <{s.name}'s token>; query string token=<{s.name}'s token>",
        headers=authorization(f"Bearer {t}"),
        query=(("token", t),),
        labels=("mixed:header+query", "header:other-scheme", "scheme:bearer"),
    )


def _v2(branch: Branch) -> Example:
    b, v2 = branch, Api.V2

    def example(principals: Principals) -> Attempt:
        s = staff(principals, v2)
        t = token_of(s)
        all_tokens = frozenset(p.token for p in principals.members if p.token)
        if b is Branch.NO_CREDENTIALS:
            return Attempt(v2, b, "no Authorization header, no credential", labels=("none",))
        if b is Branch.EMPTY_HEADER:
            return _header(v2, b, "", "(empty)", "empty")
        if b is Branch.SCHEME_ONLY:
            return _header(v2, b, TOKEN, "Token alone", "scheme-only")
        if b is Branch.ODD_WHITESPACE:  # a parser that takes the second word and ignores the rest
            return _header(
                v2,
                b,
                f"{token(t)} x",
                f"Token <{s.name}'s token><space><word>",
                "whitespace:extra-word",
            )
        if b in (Branch.NON_STAFF, Branch.INACTIVE):
            role = Role.USER if b is Branch.NON_STAFF else Role.INACTIVE
            p = holders(principals, v2, role)[0]
            return _header(v2, b, token(token_of(p)), f"Token <{p.name}'s token>", b.slug)
        if b is Branch.OTHER_SCHEME:
            return _header(v2, b, f"Bearer {t}", f"Bearer <{s.name}'s token>", "scheme:bearer")
        if b is Branch.LEGACY_QUERY:
            return Attempt(
                v2,
                b,
                f"query string token=<{s.name}'s token>; no Authorization header",
                query=(("token", t),),
                labels=("query:token", "header:none"),
            )
        if b is Branch.SESSION_COOKIE:
            return _session_cookie(v2, principals)
        if b is Branch.MIXED_SOURCES:
            return _v2_mixed(principals)
        if b is Branch.CROSS_VERSION:
            p = holders(principals, Api.V1, Role.STAFF)[0]
            return _header(
                v2,
                b,
                apikey(p.username, key_of(p)),
                f"ApiKey {p.username}:<{p.name}'s api_key>",
                "cross-version:apikey",
            )
        if b is Branch.METHOD_OVERRIDE:
            # POST-carried: the convention override middlewares added to DRF follow. It also
            # costs nothing when refused (401), where a GET-carried form is a counted read of
            # the anonymous bucket's 100 a day; the GET forms stay as sub-forms.
            return travel_forms.override_attempt(v2, METHOD_OVERRIDES[0], "POST")
        if b in (Branch.PROXY_IDENTITY, Branch.INTERNAL_TRUST):
            return _travel(v2, b, principals)
        if b is Branch.BAD_TOKEN:  # the right token in upper case: a case-insensitive lookup
            flipped = keys.case_flipped(t)
            if flipped is not None and flipped not in all_tokens:
                return _header(
                    v2,
                    b,
                    token(flipped),
                    f"Token <{s.name}'s token upper-cased>",
                    "near-miss:case-flip",
                )
            return _header(
                v2,
                b,
                token(_miss(t, all_tokens)),
                f"Token <{s.name}'s token with its last character changed>",
                "near-miss:one-char",
            )
        raise ValueError(f"{b.name} does not apply to v2")

    return example


def example_attempt(principals: Principals, api: Api, branch: Branch) -> Attempt:
    """The representative attempt of ``branch`` on ``api``; ValueError if it cannot run."""
    reason = unavailable_reason(principals, api, branch)
    if reason is not None:
        raise ValueError(reason)
    return (_v1 if api is Api.V1 else _v2)(branch)(principals)
