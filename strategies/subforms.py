"""Every labelled sub-form of every branch, as a fixed attempt: nothing is left to a draw.

A branch's explicit example (``examples``) is one form; its strategy knows many (for
``wrong-key``: a prefix, an extension, one character off, a control character, a look-alike,
the case flipped, random keys). A defect that reacts to only one of them would be found in
some runs and not in others, so each label the strategies can draw has a fixed attempt here,
built around the trusted staff credential (the one a near-miss must not turn into). The
harness's own tests check that the two agree: every label a strategy draws is one of these.

Composite branches (credentials in the query or a form, mixtures, overrides) list their own
forms (``query:*``, ``mixed:*``, ``override:*``) with a representative negative header; the
header forms themselves are the header branches' sub-forms.

How the gate spends them (``assigned``) is a covering set, not a cross product: a sub-form
of a credential is a question about the credential parser, which the server runs the same
way for every write, so each sub-form goes once per API, the write operations taking turns;
the branch's example still runs on every operation. Method overrides are a question about
the method too, so each override sub-form goes once per HTTP method of the API, the
resources taking turns; except, on v2, a form a correct server answers as an anonymous read
(carried by GET or HEAD, with no credential): those are counted against v2's 100 anonymous
requests a day, so each goes once per API like a credential's sub-form. On the testbed that is ~170 v1 and ~140 v2 attempts per run instead
of ~2,300 for the full cross product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

from authfuzz.attempts import Attempt, Pairs
from authfuzz.branches import Api, Branch
from authfuzz.operations import Operation
from authfuzz.principals import Principals, Role
from authfuzz.travel import (
    METHOD_OVERRIDES,
    PROXY_IDENTITY_HEADERS,
    TRUST_HINTS,
    CookieForm,
)
from strategies import keys, travel_forms, usernames, v1_headers, v2_headers
from strategies.anonymous import costs_anonymous_read
from strategies.availability import (
    holders,
    key_of,
    session_holders,
    staff,
    token_of,
    unavailable_reason,
)
from strategies.examples import example_attempt
from strategies.headers import (
    APIKEY,
    NOT_COLONS,
    TOKEN,
    V1_ODD_SEPARATORS,
    V2_NON_SPLITTING_SEPARATORS,
    apikey,
    authorization,
    canonical,
    token,
    whitespace_name,
)
from strategies.variant import Variant

ParamsForm = tuple[Pairs, str, str]  # (pairs, label, secret-free account)
FORGED_SESSION = "authfuzzforgedsession0000000000"  # the shape of a Django session id, never issued


def _header(api: Api, branch: Branch, v: Variant, *extra: str) -> Attempt:
    return Attempt(
        api,
        branch,
        f"Authorization: {v.how}",
        headers=authorization(v.value),
        labels=(*v.labels, *extra),
    )


def _case_spellings(scheme: str) -> list[tuple[str, str]]:
    mixed = "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(scheme))
    return [
        (scheme, ""),
        (scheme.lower(), "scheme-case:lower"),
        (scheme.upper(), "scheme-case:upper"),
        (mixed, "scheme-case:mixed"),
    ]


# -- v1 header branches ------------------------------------------------------------------------


def _v1_header_forms(principals: Principals, branch: Branch) -> list[Variant]:
    s = staff(principals, Api.V1)
    u, k, kk = s.username, key_of(s), f"<{s.name}'s api_key>"
    all_keys = frozenset(p.api_key for p in principals.members if p.api_key)
    known = principals.usernames()
    if branch is Branch.SCHEME_ONLY:
        return [
            Variant(name, ("scheme-only", *((label,) if label else ())), f"{name} alone")
            for name, label in _case_spellings(APIKEY)
        ]
    if branch is Branch.NO_COLON:
        sep = NOT_COLONS[0]
        return [
            Variant.of(f"{APIKEY} {u}", "no-colon:username-only", f"ApiKey {u}"),
            Variant.of(f"{APIKEY} {k}", "no-colon:key-only", f"ApiKey {kk}"),
            Variant.of(f"{APIKEY} {u}{k}", "no-colon:concatenated", f"ApiKey {u}{kk}"),
            Variant.of(
                f"{APIKEY} {u}{sep}{k}",
                "no-colon:other-separator",
                f"ApiKey {u}<{whitespace_name(sep)} instead of ':'>{kk}",
            ),
        ]
    if branch is Branch.EXTRA_COLONS:
        i = len(k) // 2
        return [
            Variant.of(f"{APIKEY} {u}:{k}:", "extra-colons:trailing", f"ApiKey {u}:{kk}:"),
            Variant.of(f"{APIKEY} {u}::{k}", "extra-colons:doubled", f"ApiKey {u}::{kk}"),
            Variant.of(f"{APIKEY} :{u}:{k}", "extra-colons:leading", f"ApiKey :{u}:{kk}"),
            Variant.of(
                f"{APIKEY} {u}:{u}:{k}", "extra-colons:username-twice", f"ApiKey {u}:{u}:{kk}"
            ),
            Variant.of(
                f"{APIKEY} {u}:{k[:i]}:{k[i:]}",
                "extra-colons:inside-key",
                f"ApiKey {u}:{kk} with a colon after character {i}",
            ),
            Variant.of(
                f"{APIKEY} {u}:{k}:x", "extra-colons:extra-field", f"ApiKey {u}:{kk}:<word>"
            ),
        ]
    if branch is Branch.ODD_WHITESPACE:
        i, sep = len(k) // 2, V1_ODD_SEPARATORS[0]
        return [
            Variant.of(
                f"{APIKEY} {u}:{k[:i]}\t{k[i:]}",
                "whitespace:inside-key",
                f"ApiKey {u}:{kk} with a tab after character {i}",
            ),
            Variant.of(
                f"{APIKEY}{sep}{u}:{k}",
                "whitespace:separator",
                f"ApiKey<{whitespace_name(sep)}>{u}:{kk}",
            ),
            Variant.of(f"{APIKEY}{u}:{k}", "whitespace:missing", f"ApiKey{u}:{kk} (no space)"),
            Variant.of(f"{APIKEY} {u} :{k}", "whitespace:before-colon", f"ApiKey {u}<space>:{kk}"),
            Variant.of(f"{APIKEY} {u}: {k}", "whitespace:after-colon", f"ApiKey {u}:<space>{kk}"),
            Variant.of(
                f"{APIKEY} {u}:{k} x", "whitespace:trailing-word", f"ApiKey {u}:{kk}<space><word>"
            ),
        ]
    if branch is Branch.EMPTY_USERNAME:
        return [
            Variant.of(f"{APIKEY} :{k}", "empty-username", f"ApiKey :{kk}"),
            Variant.of(f"{APIKEY} :", "empty-username:both-empty", "ApiKey :"),
        ]
    if branch is Branch.EMPTY_KEY:
        return [Variant.of(f"{APIKEY} {u}:", "empty-key", f"ApiKey {u}:")]
    if branch is Branch.UNKNOWN_USER:
        plain = usernames.representative_unknown(known)
        derived = usernames.representative_unknown(known | {plain}).replace(
            "authfuzz-unknown", u + "-x"
        )
        unicode_name = "\u00fcnbekannt-authfuzz"
        wrong = "f" * keys.KEY_LENGTH if "f" * keys.KEY_LENGTH not in all_keys else "e" * 40
        return [
            Variant(apikey(plain, k), ("unknown:plain", "with-known-key"), f"ApiKey {plain}:{kk}"),
            Variant(
                apikey(unicode_name, k),
                ("unknown:unicode", "with-known-key"),
                f"ApiKey <a non-ASCII unknown username>:{kk}",
            ),
            Variant(
                apikey(derived, wrong),
                ("unknown:derived", "with-random-key"),
                f"ApiKey {derived}:<a random 40-hex key>",
            ),
        ]
    if branch is Branch.USERNAME_VARIANT:
        return [
            Variant(apikey(v.value, k), v.labels, f"ApiKey <{v.how}>:{kk}")
            for v in usernames.variant_forms(u, s.name, known)
        ]
    if branch is Branch.WRONG_KEY:
        return [
            Variant(apikey(u, v.value), v.labels, f"ApiKey {u}:<{v.how}>")
            for v in keys.wrong_secret_forms(k, f"{s.name}'s api_key", all_keys)
        ]
    if branch is Branch.OTHER_USERS_KEY:
        found: dict[str, Variant] = {}
        for owner in principals.members:
            for v in keys.other_principals_keys(principals, owner):
                found.setdefault(
                    v.labels[0],
                    Variant(
                        apikey(owner.username, v.value),
                        v.labels,
                        f"ApiKey {owner.username}:<{v.how}>",
                    ),
                )
        return list(found.values())
    if branch is Branch.OTHER_SCHEME:
        mangled = [
            Variant.of(apikey(u, k, name), "scheme:mangled", f"{ascii(name)[1:-1]} {u}:{kk}")
            for name in v1_headers.MANGLED_APIKEY[:3]
        ]
        fixed = v1_headers.other_scheme_forms(s) + mangled
        return fixed + travel_forms.foreign_scheme_values(principals, Api.V1)
    if branch in (Branch.NON_STAFF, Branch.INACTIVE, Branch.CROSS_VERSION):
        return []  # one form each: the explicit example is the whole branch
    raise ValueError(f"{branch.name} is not a v1 header branch")


# -- v2 header branches ------------------------------------------------------------------------


def _v2_header_forms(principals: Principals, branch: Branch) -> list[Variant]:
    s = staff(principals, Api.V2)
    t, tt = token_of(s), f"<{s.name}'s token>"
    all_tokens = frozenset(p.token for p in principals.members if p.token)
    if branch is Branch.SCHEME_ONLY:
        return [
            Variant(name, ("scheme-only", *((label,) if label else ())), f"{name} alone")
            for name, label in _case_spellings(TOKEN)
        ]
    if branch is Branch.ODD_WHITESPACE:
        i, sep = len(t) // 2, V2_NON_SPLITTING_SEPARATORS[0]
        return [
            Variant.of(
                f"{TOKEN} {t[:i]} {t[i:]}",
                "whitespace:split-token",
                f"Token {tt} with a space after character {i}",
            ),
            Variant.of(f"{TOKEN} {t} x", "whitespace:extra-word", f"Token {tt}<space><word>"),
            Variant.of(f"{TOKEN} {t} {t}", "whitespace:doubled-token", f"Token {tt} {tt}"),
            Variant.of(f"{TOKEN} {TOKEN} {t}", "whitespace:scheme-twice", f"Token Token {tt}"),
            Variant.of(f"{TOKEN}{t}", "whitespace:missing", f"Token{tt} (no space)"),
            Variant.of(
                f"{TOKEN}{sep}{t}",
                "whitespace:non-splitting-separator",
                f"Token<{whitespace_name(sep)}>{tt}",
            ),
        ]
    if branch is Branch.OTHER_SCHEME:
        mangled = [
            Variant.of(token(t, name), "scheme:mangled", f"{ascii(name)[1:-1]} {tt}")
            for name in v2_headers.MANGLED_TOKEN[:3]
        ]
        fixed = v2_headers.other_scheme_forms(s) + mangled
        return fixed + travel_forms.foreign_scheme_values(principals, Api.V2)
    if branch is Branch.BAD_TOKEN:
        forms = [
            Variant(token(v.value), v.labels, f"Token <{v.how}>")
            for v in keys.wrong_secret_forms(t, f"{s.name}'s token", all_tokens)
        ]
        placeholder = next(p for p in keys.PLACEHOLDERS if p not in all_tokens)
        forms.append(
            Variant.of(
                token(placeholder),
                "malformed:placeholder",
                f"Token <a placeholder ({placeholder})>",
            )
        )
        return forms
    if branch in (Branch.NON_STAFF, Branch.INACTIVE, Branch.CROSS_VERSION):
        return []
    raise ValueError(f"{branch.name} is not a v2 header branch")


# -- branches about where credentials travel -------------------------------------------------


def _negative_header(principals: Principals, api: Api) -> Variant:
    """The Feb-2026 form, as the representative negative header of composite branches."""
    branch = Branch.WRONG_KEY if api is Api.V1 else Branch.BAD_TOKEN
    e = example_attempt(principals, api, branch)
    return Variant(e.headers[0][1], (f"header:{branch.slug}", *e.labels), e.description[15:])


def _params_forms(principals: Principals, api: Api) -> list[ParamsForm]:
    s = staff(principals, api)
    if api is Api.V1:
        u, k = s.username, key_of(s)
        all_keys = frozenset(p.api_key for p in principals.members if p.api_key)
        wrong = keys.wrong_secret_forms(k, "", all_keys)[2].value  # one character off
        return [
            (
                (("username", u), ("api_key", k)),
                "valid-pair",
                f"username={u}&api_key=<{s.name}'s api_key>",
            ),
            ((("username", u),), "username-only", f"username={u}"),
            ((("api_key", k),), "api-key-only", f"api_key=<{s.name}'s api_key>"),
            ((("username", ""), ("api_key", "")), "empty-values", "username=&api_key="),
            ((("username", u), ("api_key", "")), "empty-key", f"username={u}&api_key="),
            ((("api_key", ""),), "empty-api-key-only", "api_key="),
            (
                (("username", u), ("api_key", wrong)),
                "wrong-key",
                f"username={u}&api_key=<a near miss>",
            ),
        ]
    t = token_of(s)
    found: list[ParamsForm] = [((("token", t),), "token", f"token=<{s.name}'s token>")]
    found += [
        (((name, t),), name.replace("_", "-"), f"{name}=<{s.name}'s token>")
        for name in ("auth_token", "api_key", "access_token", "key")
    ]
    found.append(((("token", ""),), "empty-token", "token="))
    if s.api_key:
        found.append(
            (
                (("username", s.username), ("api_key", s.api_key)),
                "v1-pair",
                f"username={s.username}&api_key=<{s.name}'s api_key>",
            )
        )
    return found


def _legacy(principals: Principals, api: Api, branch: Branch) -> list[Attempt]:
    in_form = branch is Branch.LEGACY_FORM
    where = "form" if in_form else "query"
    place = "form body" if in_form else "query string"
    attempts = [
        Attempt(
            api,
            branch,
            f"{place} {how}; no Authorization header",
            query=() if in_form else pairs,
            form=pairs if in_form else (),
            labels=(f"{where}:{label}", "header:none"),
        )
        for pairs, label, how in _params_forms(principals, api)
    ]
    pairs, label, how = _params_forms(principals, api)[0]
    if in_form:  # Django reads request.POST from a multipart body too
        attempts.append(
            Attempt(
                api,
                branch,
                f"multipart form body {how}; no Authorization header",
                form=pairs,
                form_format="multipart",
                labels=(f"{where}:{label}", "body:multipart", "header:none"),
            )
        )
    h = _negative_header(principals, api)
    attempts.append(
        Attempt(
            api,
            branch,
            f"{place} {how}; Authorization: {h.how}",
            headers=authorization(h.value),
            query=() if in_form else pairs,
            form=pairs if in_form else (),
            labels=(f"{where}:{label}", *h.labels),
        )
    )
    return attempts


def _session(principals: Principals, api: Api) -> list[Attempt]:
    who = session_holders(principals)[0]
    return [
        Attempt(
            api,
            Branch.SESSION_COOKIE,
            f"{who.name}'s session cookie; no Authorization header",
            session_of=who.name,
            labels=(CookieForm.STAFF_SESSION.value,),
        ),
        Attempt(
            api,
            Branch.SESSION_COOKIE,
            f"{who.name}'s session cookie; an empty Authorization header",
            headers=authorization(""),
            session_of=who.name,
            labels=(CookieForm.STAFF_SESSION_EMPTY_HEADER.value,),
        ),
        Attempt(
            api,
            Branch.SESSION_COOKIE,
            "a forged session cookie (an id the server never issued); no Authorization header",
            cookies=(("sessionid", FORGED_SESSION),),
            labels=(CookieForm.FORGED.value,),
        ),
    ]


def _mixed(principals: Principals, api: Api) -> list[Attempt]:
    s = staff(principals, api)
    h = _negative_header(principals, api)
    valid = canonical(s, api)
    pairs, _, how = _params_forms(principals, api)[0]

    def mixed(kind: str, description: str, *labels: str, **parts: object) -> Attempt:
        return Attempt(
            api,
            Branch.MIXED_SOURCES,
            description,
            labels=(f"mixed:{kind}", *labels),
            **parts,  # type: ignore[arg-type]
        )

    found = [
        mixed("header+query", f"Authorization: {h.how}; query string {how}", *h.labels,
              headers=authorization(h.value), query=pairs),
        mixed("duplicate-header", f"two Authorization headers: <{s.name}'s canonical credential>, then {h.how}",
              "valid-first", *h.labels, headers=authorization(valid, h.value)),
        mixed("duplicate-header", f"two Authorization headers: {h.how}, then <{s.name}'s canonical credential>",
              "valid-last", *h.labels, headers=authorization(h.value, valid)),
    ]  # fmt: skip
    if api is Api.V1:
        found.append(
            mixed("header+form", f"Authorization: {h.how}; form body {how}", *h.labels,
                  headers=authorization(h.value), form=pairs)
        )  # fmt: skip
    sessions = session_holders(principals)
    if sessions:
        who = sessions[0]
        malformed = f"{APIKEY} {s.username}" if api is Api.V1 else TOKEN
        found += [
            mixed("header+session", f"Authorization: {h.how}; {who.name}'s session cookie",
                  *h.labels, headers=authorization(h.value), session_of=who.name),
            mixed("session+malformed-header", f"{who.name}'s session cookie; a malformed header",
                  "header:malformed", headers=authorization(malformed), session_of=who.name),
        ]  # fmt: skip
        users = holders(principals, api, Role.USER)
        if users:
            found.append(
                mixed("session+non-staff-credential",
                      f"{who.name}'s session cookie; Authorization: <{users[0].name}'s canonical credential>",
                      headers=authorization(canonical(users[0], api)), session_of=who.name)
            )  # fmt: skip
    return found


def _overrides(principals: Principals, api: Api) -> list[Attempt]:
    h = _negative_header(principals, api)
    found = [
        travel_forms.override_attempt(api, row, via)
        for row in METHOD_OVERRIDES
        for via in row.carriers
    ]
    first, query = (
        METHOD_OVERRIDES[0],
        next(r for r in METHOD_OVERRIDES if r.where.value == "query"),
    )
    form = next(r for r in METHOD_OVERRIDES if r.where.value == "form")
    multipart = travel_forms.override_attempt(api, form, "POST")
    found += [
        replace(
            multipart,
            form_format="multipart",
            description=multipart.description + " (multipart)",
            labels=(*multipart.labels, "body:multipart"),
        ),
        travel_forms.override_attempt(api, first, "GET", lower=True),
        travel_forms.override_attempt(api, query, "GET", lower=True),
        travel_forms.override_attempt(api, first, "GET", h),
        travel_forms.override_attempt(api, query, "GET", h),
    ]
    return found


def _travel(principals: Principals, api: Api, branch: Branch) -> list[Attempt]:
    if branch is Branch.PROXY_IDENTITY:
        who = staff(principals, api)
        return [
            travel_forms.proxy_identity_attempt(api, row, who) for row in PROXY_IDENTITY_HEADERS
        ]
    return [travel_forms.internal_trust_attempt(api, hint) for hint in TRUST_HINTS]


_SOURCES: dict[Branch, Callable[[Principals, Api], list[Attempt]]] = {
    Branch.LEGACY_QUERY: lambda p, api: _legacy(p, api, Branch.LEGACY_QUERY),
    Branch.LEGACY_FORM: lambda p, api: _legacy(p, api, Branch.LEGACY_FORM),
    Branch.SESSION_COOKIE: _session,
    Branch.MIXED_SOURCES: _mixed,
    Branch.METHOD_OVERRIDE: _overrides,
    Branch.PROXY_IDENTITY: lambda p, api: _travel(p, api, Branch.PROXY_IDENTITY),
    Branch.INTERNAL_TRUST: lambda p, api: _travel(p, api, Branch.INTERNAL_TRUST),
}
_ONE_FORM = (Branch.NO_CREDENTIALS,)


@cache
def subform_attempts(principals: Principals, api: Api, branch: Branch) -> tuple[Attempt, ...]:
    """One attempt per labelled sub-form of ``branch`` on ``api``; ValueError if it cannot run.

    The explicit example's own form is included (it is one of the sub-forms); ``assigned``
    leaves it out, since the example already runs it on every operation.
    """
    reason = unavailable_reason(principals, api, branch)
    if reason is not None:
        raise ValueError(reason)
    if branch in _ONE_FORM:
        return (example_attempt(principals, api, branch),)
    if branch is Branch.EMPTY_HEADER:
        return (
            Attempt(api, branch, "Authorization header with an empty value",
                    headers=authorization(""), labels=("empty",)),
            Attempt(api, branch, "Authorization header with one tab",
                    headers=authorization("\t"), labels=("whitespace-only",)),
        )  # fmt: skip
    if branch in _SOURCES:
        return tuple(_SOURCES[branch](principals, api))
    forms = (_v1_header_forms if api is Api.V1 else _v2_header_forms)(principals, branch)
    example = example_attempt(principals, api, branch)
    return (example, *(_header(api, branch, v) for v in forms))


def same_form(a: Attempt, b: Attempt) -> bool:
    """Whether two attempts put the same thing on the wire (descriptions aside)."""

    def wire(x: Attempt) -> tuple[object, ...]:
        return (x.headers, x.query, x.form, x.session_of, x.cookies, x.override, x.form_format)

    return wire(a) == wire(b)


def assigned(
    principals: Principals, operation: Operation, branch: Branch, operations: Sequence[Operation]
) -> tuple[Attempt, ...]:
    """The sub-forms of ``branch`` this operation runs in the covering set (module docstring)."""
    api = operation.api
    example = example_attempt(principals, api, branch)
    forms = [a for a in subform_attempts(principals, api, branch) if not same_form(a, example)]
    mine = [op for op in operations if op.api is api]
    if branch is not Branch.METHOD_OVERRIDE:
        return _turn(forms, mine, operation)
    by_method = [op for op in mine if op.method == operation.method]
    once = [a for a in forms if costs_anonymous_read(a, operation.method)]
    per_method = [a for a in forms if not costs_anonymous_read(a, operation.method)]
    return _turn(per_method, by_method, operation) + _turn(once, mine, operation)


def _turn(
    forms: Sequence[Attempt], operations: Sequence[Operation], operation: Operation
) -> tuple[Attempt, ...]:
    turn = operations.index(operation)
    return tuple(a for i, a in enumerate(forms) if i % len(operations) == turn)


def subform_labels(attempt: Attempt) -> str:
    """The labels that name a sub-form, for ids and the detailed matrix."""
    return "+".join(attempt.labels) or "plain"


def branch_cells(
    principals: Principals, api: Api, branch: Branch, operations: Sequence[Operation]
) -> list[tuple[Operation, Attempt, str]]:
    """What a branch's explicit check sends: its example on every write operation of ``api``,
    and each labelled sub-form on the operations the covering set assigns it, with the
    sub-form's label ("" for the example)."""
    cells: list[tuple[Operation, Attempt, str]] = []
    for op in (op for op in operations if op.api is api):
        cells.append((op, example_attempt(principals, api, branch), ""))
        cells += [
            (op, form, subform_labels(form))
            for form in assigned(principals, op, branch, operations)
        ]
    return cells
