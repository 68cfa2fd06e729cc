"""Branches about *where* credentials travel: none, query string, form body, session, mixtures.

These wrap the header branches of ``v1_headers`` / ``v2_headers`` rather than
repeat them: a mixed or override attempt carries "a negative header" drawn
from the same pool, so every header trick is also tried in combination.

Valid staff credentials appear here only in a place the API must ignore or
reject (release-api.md 2.2 rows 17-22, 2.5 row 7): v1 rejects any request with
a ``username`` or ``api_key`` parameter; v2 ignores query tokens and sessions;
neither API lets a session cookie write. Never next to them: a valid staff
``Authorization`` header on its own, which would make the attempt valid.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from authfuzz.attempts import Attempt, Pairs
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from strategies import keys, travel_forms, v1_headers, v2_headers
from strategies.availability import (
    holders,
    key_of,
    session_holders,
    token_of,
    unavailable_reason,
)
from strategies.headers import authorization, canonical
from strategies.variant import Variant

HEADER_BRANCHES: dict[Api, dict[Branch, Callable[[Principals], SearchStrategy[Variant]]]] = {
    Api.V1: v1_headers.BRANCHES,
    Api.V2: v2_headers.BRANCHES,
}
MALFORMED: dict[Api, tuple[Branch, ...]] = {
    Api.V1: v1_headers.MALFORMED,
    Api.V2: v2_headers.MALFORMED,
}
EMPTY_HEADER_VALUE = Variant.of("", "header:empty", "(empty)")


class Params(NamedTuple):
    """Credential parameters for a query string or a form body."""

    pairs: Pairs
    label: str
    how: str  # secret-free


def _tagged(branch: Branch, variants: SearchStrategy[Variant]) -> SearchStrategy[Variant]:
    return variants.map(lambda v: Variant(v.value, (f"header:{branch.slug}", *v.labels), v.how))


def negative_headers(
    principals: Principals, api: Api, only: Collection[Branch] | None = None
) -> SearchStrategy[Variant]:
    """Any available negative header branch of ``api`` (or of ``only``), labelled with it."""
    table = HEADER_BRANCHES[api]
    return st.one_of(
        [
            _tagged(branch, build(principals))
            for branch, build in table.items()
            if (only is None or branch in only)
            and unavailable_reason(principals, api, branch) is None
        ]
    )


def _optional_header(principals: Principals, api: Api) -> SearchStrategy[Variant | None]:
    return st.one_of(st.none(), negative_headers(principals, api))


def _header_how(header: Variant | None) -> str:
    return "no Authorization header" if header is None else f"Authorization: {header.how}"


def _header_labels(header: Variant | None) -> tuple[str, ...]:
    return ("header:none",) if header is None else header.labels


def _headers(*values: Variant | None) -> Pairs:
    return authorization(*(v.value for v in values if v is not None))


def _valid_v1_params(p: Principal) -> Params:
    return Params(
        (("username", p.username), ("api_key", key_of(p))),
        "valid-pair",
        f"username={p.username}&api_key=<{p.name}'s api_key>",
    )


def v1_params(principals: Principals) -> SearchStrategy[Params]:
    """``username``/``api_key`` parameters: valid, partial, empty or wrong (2.2 row 17)."""
    all_keys = frozenset(p.api_key for p in principals.members if p.api_key)

    def forms(p: Principal) -> SearchStrategy[Params]:
        u = p.username
        fixed = [
            _valid_v1_params(p),
            Params((("username", u),), "username-only", f"username={u}"),
            Params((("api_key", key_of(p)),), "api-key-only", f"api_key=<{p.name}'s api_key>"),
            Params((("username", ""), ("api_key", "")), "empty-values", "username=&api_key="),
            Params((("username", u), ("api_key", "")), "empty-key", f"username={u}&api_key="),
            Params((("api_key", ""),), "empty-api-key-only", "api_key="),
        ]
        wrong = keys.wrong_secrets(p.api_key, f"{p.name}'s api_key", all_keys).map(
            lambda w: Params(
                (("username", u), ("api_key", w.value)),
                "wrong-key",
                f"username={u}&api_key=<{w.how}>",
            )
        )
        # separate alternatives, so Hypothesis does not neglect them for the infinite one
        return st.one_of(*map(st.just, fixed), wrong)

    return st.one_of([forms(p) for p in holders(principals, Api.V1, Role.STAFF)])


def _valid_v2_params(p: Principal) -> Params:
    return Params((("token", token_of(p)),), "token", f"token=<{p.name}'s token>")


def v2_params(principals: Principals) -> SearchStrategy[Params]:
    """A staff token under the parameter names clients guess; v2 reads none of them."""

    def forms(p: Principal) -> list[Params]:
        t = token_of(p)
        found = [_valid_v2_params(p)] + [
            Params(((name, t),), name.replace("_", "-"), f"{name}=<{p.name}'s token>")
            for name in ("auth_token", "api_key", "access_token", "key")
        ]
        found.append(Params((("token", ""),), "empty-token", "token="))
        if p.api_key:
            found.append(
                Params(
                    _valid_v1_params(p).pairs,
                    "v1-pair",
                    f"username={p.username}&api_key=<{p.name}'s api_key>",
                )
            )
        return found

    return st.sampled_from([f for p in holders(principals, Api.V2, Role.STAFF) for f in forms(p)])


def no_credentials(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    return st.just(
        Attempt(
            api, Branch.NO_CREDENTIALS, "no Authorization header, no credential", labels=("none",)
        )
    )


def empty_header(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """An empty value, or only whitespace (which the server strips to empty)."""
    values = [
        ("", "empty", "an empty value"),
        (" ", "whitespace-only", "one space"),
        ("\t", "whitespace-only", "one tab"),
        ("   ", "whitespace-only", "three spaces"),
    ]
    return st.sampled_from(values).map(
        lambda v: Attempt(
            api,
            Branch.EMPTY_HEADER,
            f"Authorization header with {v[2]}",
            headers=authorization(v[0]),
            labels=(v[1],),
        )
    )


def _valid_staff_params(principals: Principals, api: Api) -> SearchStrategy[Params]:
    staff = holders(principals, api, Role.STAFF)
    valid = _valid_v1_params if api is Api.V1 else _valid_v2_params
    return st.sampled_from([valid(p) for p in staff])


def _legacy(
    principals: Principals, api: Api, branch: Branch, params: SearchStrategy[Params], in_form: bool
) -> SearchStrategy[Attempt]:
    """Credentials as parameters (query string or form body), with or without a header."""
    where = "form" if in_form else "query"

    def build(p: Params, h: Variant | None) -> Attempt:
        return Attempt(
            api,
            branch,
            f"{'form body' if in_form else 'query string'} {p.how}; {_header_how(h)}",
            headers=_headers(h),
            query=() if in_form else p.pairs,
            form=p.pairs if in_form else (),
            labels=(f"{where}:{p.label}", *_header_labels(h)),
        )

    # The reported form (valid staff parameters, no header) is its own alternative: as one
    # combination among many it was almost never drawn next to the open-ended ones.
    return st.one_of(
        st.builds(build, _valid_staff_params(principals, Api.V1 if in_form else api), st.none()),
        st.builds(build, params, _optional_header(principals, api)),
    )


def legacy_query(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    params = v1_params(principals) if api is Api.V1 else v2_params(principals)
    return _legacy(principals, api, Branch.LEGACY_QUERY, params, in_form=False)


def legacy_form(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    return _legacy(principals, api, Branch.LEGACY_FORM, v1_params(principals), in_form=True)


def session_cookie(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """A staff session with no header or an empty one: v1 drops it, v2 never reads it."""
    return st.builds(
        lambda p, h: Attempt(
            api,
            Branch.SESSION_COOKIE,
            f"{p.name}'s session cookie; "
            + ("no Authorization header" if h is None else "an empty Authorization header"),
            headers=_headers(h),
            session_of=p.name,
            labels=("session:no-header" if h is None else "session:empty-header",),
        ),
        st.sampled_from(session_holders(principals)),
        st.sampled_from([None, EMPTY_HEADER_VALUE]),
    )


def mixed_sources(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """A negative header plus valid staff credentials somewhere the API must not read them."""
    staff = st.sampled_from(holders(principals, api, Role.STAFF))
    negative = negative_headers(principals, api)
    valid_params = staff.map(_valid_v1_params if api is Api.V1 else _valid_v2_params)

    def attempt(
        kind: str,
        description: str,
        labels: tuple[str, ...],
        *,
        headers: Pairs,
        query: Pairs = (),
        form: Pairs = (),
        session_of: str | None = None,
    ) -> Attempt:
        return Attempt(
            api,
            Branch.MIXED_SOURCES,
            description,
            headers=headers,
            query=query,
            form=form,
            session_of=session_of,
            labels=(f"mixed:{kind}", *labels),
        )

    kinds: list[SearchStrategy[Attempt]] = [
        st.builds(
            lambda h, p: attempt(
                "header+query",
                f"{_header_how(h)}; query string {p.how}",
                h.labels,
                headers=_headers(h),
                query=p.pairs,
            ),
            negative,
            valid_params,
        ),
        st.builds(
            lambda h, v, valid_first: attempt(
                "duplicate-header",
                "two Authorization headers: "
                + (f"{v.how}, then {h.how}" if valid_first else f"{h.how}, then {v.how}"),
                ("valid-first" if valid_first else "valid-last", *h.labels),
                headers=_headers(v, h) if valid_first else _headers(h, v),
            ),
            negative,
            staff.map(
                lambda p: Variant.of(
                    canonical(p, api), "valid", f"<{p.name}'s canonical credential>"
                )
            ),
            st.booleans(),
        ),
    ]
    if api is Api.V1:
        kinds.append(
            st.builds(
                lambda h, p: attempt(
                    "header+form",
                    f"{_header_how(h)}; form body {p.how}",
                    h.labels,
                    headers=_headers(h),
                    form=p.pairs,
                ),
                negative,
                valid_params,
            )
        )
    sessions = session_holders(principals)
    if sessions:
        session = st.sampled_from(sessions)
        kinds.append(
            st.builds(
                lambda h, s: attempt(
                    "header+session",
                    f"{_header_how(h)}; {s.name}'s session cookie",
                    h.labels,
                    headers=_headers(h),
                    session_of=s.name,
                ),
                negative,
                session,
            )
        )
        kinds.append(
            st.builds(
                lambda h, s: attempt(
                    "session+malformed-header",
                    f"{s.name}'s session cookie; {_header_how(h)}",
                    h.labels,
                    headers=_headers(h),
                    session_of=s.name,
                ),
                negative_headers(principals, api, MALFORMED[api]),
                session,
            )
        )
        users = holders(principals, api, Role.USER)
        if users:
            kinds.append(
                st.builds(
                    lambda u, s: attempt(
                        "session+non-staff-credential",
                        f"{s.name}'s session cookie; "
                        f"Authorization: <{u.name}'s canonical credential>",
                        (),
                        headers=authorization(canonical(u, api)),
                        session_of=s.name,
                    ),
                    st.sampled_from(users),
                    session,
                )
            )
    return st.one_of(kinds)


def method_override(principals: Principals, api: Api) -> SearchStrategy[Attempt]:
    """A GET, POST or HEAD asking for the operation's method elsewhere, with no valid key.

    Every carrier of ``authfuzz.travel.METHOD_OVERRIDES`` (override headers, ``_method`` in
    the query or a form body), in upper or lower case, with no header or a negative one. On
    v2 a GET or HEAD carrier goes with a bad token only: with no credential a correct server
    answers it as a counted anonymous read (``strategies.anonymous``), which the explicit
    cells spend once each; a bad token is refused before the throttle.
    """
    credentials = st.one_of(
        st.none(),
        st.just(EMPTY_HEADER_VALUE),
        negative_headers(
            principals, api, [Branch.WRONG_KEY if api is Api.V1 else Branch.BAD_TOKEN]
        ),
        negative_headers(principals, api),
    )
    refused = negative_headers(principals, api, [Branch.BAD_TOKEN]) if api is Api.V2 else None

    def attempts(row: tuple[Any, str, bool]) -> SearchStrategy[Attempt]:
        override, via, lower = row
        headers = refused if refused is not None and via in ("GET", "HEAD") else credentials
        return headers.map(
            lambda h: travel_forms.override_attempt(api, override, via, h, lower=lower)
        )

    return travel_forms.overrides(principals, api).flatmap(attempts)


SOURCE_BRANCHES: dict[Branch, Callable[[Principals, Api], SearchStrategy[Attempt]]] = {
    Branch.NO_CREDENTIALS: no_credentials,
    Branch.EMPTY_HEADER: empty_header,
    Branch.LEGACY_QUERY: legacy_query,
    Branch.LEGACY_FORM: legacy_form,
    Branch.SESSION_COOKIE: session_cookie,
    Branch.MIXED_SOURCES: mixed_sources,
    Branch.METHOD_OVERRIDE: method_override,
    Branch.PROXY_IDENTITY: travel_forms.proxy_identity,
    Branch.INTERNAL_TRUST: travel_forms.internal_trust,
}
