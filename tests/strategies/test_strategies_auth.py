"""The strategies' labels agree with an independent model of the server at HEAD.

``server_would_accept`` below is written from release-api.md 2.1-2.5 alone, not
from the strategies, and is checked against the rows of tables 2.2 and 2.5
first. It is deliberately generous: it accepts an attempt if *any* plausible
transport would make the server accept it (header values sent as Latin-1 or
UTF-8; whitespace stripped as RFC 7230 servers do or as wsgiref's ``str.strip``
does; duplicated headers joined with ", " or ","; a header cut at the first
character an old parser treats as a line break). So a negative attempt that
passes here is negative on every server we know of.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authfuzz.attempts import Attempt
from authfuzz.branches import Api, Branch
from authfuzz.principals import Principal, Principals, Role
from authfuzz.travel import METHOD_OVERRIDES, PROXY_IDENTITY_HEADERS, TRUST_HINTS
from strategies import (
    available_branches,
    example_attempt,
    negative_attempts,
    positive_attempt,
    unavailable_reason,
)


def _hex(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


def make_principals(*, drop: tuple[str, ...] = (), no_password: bool = False) -> Principals:
    members = (
        Principal(
            "admin",
            "admin",
            Role.STAFF,
            _hex("admin:key"),
            _hex("admin:token"),
            None if no_password else "correct horse battery staple",
        ),
        Principal("editor", "editor", Role.STAFF, _hex("editor:key"), _hex("editor:token")),
        Principal("user", "user", Role.USER, _hex("user:key"), _hex("user:token")),
        Principal("retired", "retired", Role.INACTIVE, _hex("retired:key"), _hex("retired:token")),
    )
    return Principals(tuple(p for p in members if p.name not in drop))


P = make_principals()
ADMIN = P.by_name("admin")
KEY = ADMIN.api_key or ""
TOKEN = ADMIN.token or ""
FAST = settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture
def principals() -> Principals:
    return P


# --- the reference model ----------------------------------------------------------------------


def _line_views(value: str) -> set[str]:
    """What the application may see for one header line."""
    views = set()
    for encoding in ("latin-1", "utf-8"):
        try:
            seen = value.encode(encoding).decode("latin-1")
        except UnicodeEncodeError:
            continue
        for cut in (seen, (seen.splitlines() or [""])[0]):
            views.add(cut.strip(" \t"))
            views.add(cut.strip())
    return views


def _authorization_views(attempt: Attempt) -> Iterator[str | None]:
    values = [v for n, v in attempt.headers if n.upper().replace("-", "_") == "AUTHORIZATION"]
    if not values:
        yield None
        return
    for combination in itertools.product(*(_line_views(v) for v in values)):
        for joiner in (", ", ","):
            yield joiner.join(combination)


def _v1_accepts(attempt: Attempt, principals: Principals, header: str | None) -> bool:
    # 2.1 step 2: any username/api_key parameter is a 401, whatever else is sent.
    if any(name in ("username", "api_key") for name, _ in attempt.query + attempt.form):
        return False
    if not header:  # step 3: guest, and the session user is discarded
        return False
    scheme, space, data = header.partition(" ")
    if not space or scheme.lower() != "apikey" or data.count(":") != 1:
        return False
    username, key = data.split(":")
    users = [p for p in principals.members if p.username == username]
    if not username or not key or len(users) != 1:
        return False
    return users[0].role is Role.STAFF and users[0].api_key == key


def _v2_accepts(principals: Principals, header: str | None) -> bool:
    # DRF TokenAuthentication; no session authentication on v2 (2.5).
    parts = (header or "").encode("latin-1").split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return False
    try:
        key = parts[1].decode()
    except UnicodeDecodeError:
        return False
    return any(p.token == key and p.role is Role.STAFF for p in principals.members)


def server_would_accept(attempt: Attempt, principals: Principals) -> bool:
    """Would any plausible deployment of HEAD let this attempt write?"""
    for header in _authorization_views(attempt):
        if attempt.api is Api.V1 and _v1_accepts(attempt, principals, header):
            return True
        if attempt.api is Api.V2 and _v2_accepts(principals, header):
            return True
    return False


def _raw(
    api: Api,
    *headers: str,
    query: tuple[tuple[str, str], ...] = (),
    form: tuple[tuple[str, str], ...] = (),
    session_of: str | None = None,
) -> Attempt:
    return Attempt(
        api,
        None,
        "reference row",
        headers=tuple(("Authorization", h) for h in headers),
        query=query,
        form=form,
        session_of=session_of,
    )


USER_KEY = P.by_name("user").api_key or ""
RETIRED_KEY = P.by_name("retired").api_key or ""
V1_ROWS = [  # (matrix 2.2 row, attempt, may write)
    (1, _raw(Api.V1), False),
    (2, _raw(Api.V1, ""), False),
    (3, _raw(Api.V1, "ApiKey admin"), False),
    (4, _raw(Api.V1, "ApiKey"), False),
    (5, _raw(Api.V1, f"ApiKey :{KEY}"), False),
    (6, _raw(Api.V1, "ApiKey admin:"), False),
    (7, _raw(Api.V1, f"ApiKey admin:{KEY}:x"), False),
    (8, _raw(Api.V1, f"ApiKey nobody:{KEY}"), False),
    (9, _raw(Api.V1, f"ApiKey admin:{KEY.upper()}"), False),
    (10, _raw(Api.V1, f"ApiKey ADMIN:{KEY}"), False),
    (11, _raw(Api.V1, f"ApiKey retired:{RETIRED_KEY}"), False),
    (13, _raw(Api.V1, f"ApiKey user:{USER_KEY}"), False),
    (14, _raw(Api.V1, f"Bearer {KEY}"), False),
    (14, _raw(Api.V1, f"Token {TOKEN}"), False),
    (15, _raw(Api.V1, f"apikey admin:{KEY}"), True),
    (15, _raw(Api.V1, f"APIKEY admin:{KEY}"), True),
    (16, _raw(Api.V1, f"ApiKey  admin:{KEY}"), False),
    (16, _raw(Api.V1, f"ApiKey\tadmin:{KEY}"), False),
    (17, _raw(Api.V1, query=(("username", "admin"), ("api_key", KEY))), False),
    (17, _raw(Api.V1, query=(("username", ""),)), False),
    (18, _raw(Api.V1, f"ApiKey admin:{KEY}", query=(("api_key", "x"),)), False),
    (19, _raw(Api.V1, form=(("username", "admin"), ("api_key", KEY))), False),
    (20, _raw(Api.V1, session_of="admin"), False),
    (21, _raw(Api.V1, "ApiKey admin", session_of="admin"), False),
    (22, _raw(Api.V1, f"ApiKey user:{USER_KEY}", session_of="admin"), False),
    (23, _raw(Api.V1, f"ApiKey admin:{KEY}"), True),
    (23, _raw(Api.V1, f"  ApiKey admin:{KEY}\t"), True),  # servers strip the value
    (23, _raw(Api.V1, f"ApiKey editor:{P.by_name('editor').api_key}"), True),
]
V2_ROWS = [  # (table 2.5 row, attempt, may write)
    (1, _raw(Api.V2), False),
    (1, _raw(Api.V2, ""), False),
    (2, _raw(Api.V2, "Token"), False),
    (3, _raw(Api.V2, "Token a b"), False),
    (3, _raw(Api.V2, f"Token {TOKEN} x"), False),
    (4, _raw(Api.V2, f"Token {TOKEN.upper()}"), False),
    (5, _raw(Api.V2, f"Token {P.by_name('retired').token}"), False),
    (6, _raw(Api.V2, f"Token {P.by_name('user').token}"), False),
    (7, _raw(Api.V2, f"Bearer {TOKEN}"), False),
    (7, _raw(Api.V2, f"ApiKey admin:{KEY}"), False),
    (7, _raw(Api.V2, query=(("token", TOKEN),)), False),
    (7, _raw(Api.V2, session_of="admin"), False),
    (8, _raw(Api.V2, f"token {TOKEN}"), True),
    (9, _raw(Api.V2, f"Token {TOKEN}"), True),
    (9, _raw(Api.V2, f"Token  {TOKEN}"), True),  # DRF splits on any whitespace
    (9, _raw(Api.V2, f"Token\t{TOKEN}"), True),
    (9, _raw(Api.V2, f"Token {TOKEN}\x0b"), True),  # trailing \v: split() drops it
    (9, _raw(Api.V2, f"Token {P.by_name('editor').token}"), True),
]


@pytest.mark.parametrize(
    ("row", "attempt", "expected"),
    V1_ROWS + V2_ROWS,
    ids=[f"{a.api.value}-row{r}" for r, a, _ in V1_ROWS + V2_ROWS],
)
def test_reference_model_matches_the_documented_tables(
    row: int, attempt: Attempt, expected: bool
) -> None:
    assert server_would_accept(attempt, P) is expected


def test_reference_model_joins_duplicated_headers() -> None:
    valid = f"ApiKey admin:{KEY}"
    assert not server_would_accept(_raw(Api.V1, "ApiKey admin", valid), P)
    assert not server_would_accept(_raw(Api.V2, "Bearer x", f"Token {TOKEN}"), P)
    # and is generous where a parser might cut a value at a line-break character
    assert server_would_accept(_raw(Api.V1, f"{valid}\x1cjunk"), P)


# --- the property: labels agree with the model --------------------------------------------------

AVAILABLE = {api: available_branches(P, api) for api in Api}


def _check(attempt: Attempt, principals: Principals, api: Api) -> None:
    assert attempt.api is api
    assert attempt.branch is not None
    assert not attempt.allowed_to_write
    assert attempt.labels, "every attempt names its sub-kind"
    assert server_would_accept(attempt, principals) is attempt.allowed_to_write
    _check_safe(attempt, principals)


def _check_safe(attempt: Attempt, principals: Principals) -> None:
    for secret in principals.secrets():
        assert secret not in attempt.description
        assert all(secret not in label for label in attempt.labels)
    for _, value in attempt.headers:
        assert "\r" not in value and "\n" not in value
    assert attempt.override_via in (None, "GET", "POST", "HEAD")
    if attempt.session_of is not None:
        who = principals.by_name(attempt.session_of)
        assert who.role is Role.STAFF and who.password


CASES = [(api, b) for api in Api for b in AVAILABLE[api]]
CASE_IDS = [f"{a.value}-{b.slug}" for a, b in CASES]


@pytest.mark.parametrize(("api", "branch"), CASES, ids=CASE_IDS)
def test_every_branch_is_rejected_by_the_reference(api: Api, branch: Branch) -> None:
    @FAST
    @given(negative_attempts(P, api, branch))
    def check(attempt: Attempt) -> None:
        assert attempt.branch is branch
        _check(attempt, P, api)

    check()


@pytest.mark.parametrize("api", list(Api))
def test_positive_control_is_accepted(api: Api) -> None:
    attempt = positive_attempt(P, api)
    assert attempt.branch is None and attempt.allowed_to_write
    assert server_would_accept(attempt, P)
    expected = f"ApiKey admin:{KEY}" if api is Api.V1 else f"Token {TOKEN}"
    assert attempt.headers == (("Authorization", expected),)
    assert attempt.query == attempt.form == () and attempt.session_of is None
    _check_safe(attempt, P)


# --- coverage: a fixed-seed sample reaches every branch and the sub-kinds that matter ----------

COVER = settings(
    max_examples=150,
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_applicable_branch_is_available_with_the_full_fixture() -> None:
    for api in Api:
        assert AVAILABLE[api] == Branch.for_api(api)


@pytest.mark.parametrize("api", list(Api))
def test_the_union_reaches_every_branch_and_is_rejected(api: Api) -> None:
    seen: set[Branch | None] = set()

    @settings(COVER, max_examples=400)
    @given(negative_attempts(P, api))
    def check(attempt: Attempt) -> None:
        _check(attempt, P, api)
        seen.add(attempt.branch)

    check()
    assert seen == set(Branch.for_api(api))


EXPECTED_SUB_KINDS: dict[tuple[Api, Branch], set[str]] = {
    (Api.V1, Branch.WRONG_KEY): {
        "near-miss:prefix",
        "near-miss:extension",
        "near-miss:one-char",
        "near-miss:case-flip",
        "near-miss:control-char",
        "near-miss:look-alike",
        "random",
    },
    (Api.V1, Branch.USERNAME_VARIANT): {
        f"username:{kind}"
        for kind in (
            "case",
            "whitespace-leading",
            "whitespace-inner",
            "confusable",
            "fullwidth",
            "overlong",
            "control-char",
            "zero-width",
            "combining",
        )
    },
    (Api.V1, Branch.UNKNOWN_USER): {"unknown:plain", "unknown:unicode", "unknown:derived"},
    (Api.V1, Branch.OTHER_USERS_KEY): {
        "other-key:user-username-staff-key",
        "other-key:staff-username-staff-key",
    },
    (Api.V1, Branch.OTHER_SCHEME): {"scheme:basic-password", "scheme:bearer", "scheme:mangled"},
    (Api.V1, Branch.NON_STAFF): {"non-staff", "scheme-case:lower"},
    (Api.V1, Branch.ODD_WHITESPACE): {
        "whitespace:separator",
        "whitespace:missing",
        "whitespace:trailing-word",
        "whitespace:inside-key",
    },
    (Api.V1, Branch.LEGACY_QUERY): {
        "query:valid-pair",
        "query:username-only",
        "query:api-key-only",
        "query:wrong-key",
        "header:none",
    },
    (Api.V1, Branch.LEGACY_FORM): {"form:valid-pair", "form:wrong-key", "header:none"},
    (Api.V1, Branch.METHOD_OVERRIDE): {
        "override-via:GET",
        "override-via:POST",
        "override-via:HEAD",
        "override:lower-case",
        *(row.label for row in METHOD_OVERRIDES),
        "header:none",
        "header:empty",
        "header:wrong-key",
    },
    (Api.V2, Branch.METHOD_OVERRIDE): {
        "override-via:GET",
        *(row.label for row in METHOD_OVERRIDES),
        "header:bad-token",
    },
    (Api.V1, Branch.PROXY_IDENTITY): {row.label for row in PROXY_IDENTITY_HEADERS},
    (Api.V2, Branch.INTERNAL_TRUST): {hint.label for hint in TRUST_HINTS},
    (Api.V1, Branch.SESSION_COOKIE): {"session:no-header", "session:empty-header"},
    (Api.V2, Branch.BAD_TOKEN): {
        "near-miss:case-flip",
        "near-miss:one-char",
        "near-miss:prefix",
        "malformed:placeholder",
        "random",
    },
    (Api.V2, Branch.ODD_WHITESPACE): {
        "whitespace:split-token",
        "whitespace:extra-word",
        "whitespace:missing",
        "whitespace:non-splitting-separator",
    },
    (Api.V2, Branch.OTHER_SCHEME): {"scheme:bearer", "scheme:basic-password", "scheme:mangled"},
    (Api.V2, Branch.LEGACY_QUERY): {"query:token", "query:auth-token", "query:v1-pair"},
    (Api.V2, Branch.SESSION_COOKIE): {"session:no-header", "session:empty-header"},
    (Api.V1, Branch.MIXED_SOURCES): {
        f"mixed:{kind}"
        for kind in (
            "header+query",
            "header+form",
            "duplicate-header",
            "header+session",
            "session+malformed-header",
            "session+non-staff-credential",
        )
    },
    (Api.V2, Branch.MIXED_SOURCES): {
        f"mixed:{kind}"
        for kind in (
            "header+query",
            "duplicate-header",
            "header+session",
            "session+malformed-header",
            "session+non-staff-credential",
        )
    },
}
COVERED = sorted(EXPECTED_SUB_KINDS, key=lambda k: (k[0].value, k[1].name))


@pytest.mark.parametrize(
    ("api", "branch"), COVERED, ids=[f"{a.value}-{b.slug}" for a, b in COVERED]
)
def test_sub_kinds_are_reached(api: Api, branch: Branch) -> None:
    seen: set[str] = set()

    @COVER
    @given(negative_attempts(P, api, branch))
    def check(attempt: Attempt) -> None:
        _check(attempt, P, api)
        seen.update(attempt.labels)

    check()
    assert EXPECTED_SUB_KINDS[(api, branch)] <= seen
    if branch in (Branch.LEGACY_QUERY, Branch.LEGACY_FORM, Branch.METHOD_OVERRIDE):
        headers = {label for label in seen if label.startswith("header:")}
        assert "header:none" in headers and len(headers) >= 5  # without and with many headers


# --- availability -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principals", "branch", "words"),
    [
        (make_principals(drop=("retired",)), Branch.INACTIVE, "inactive"),
        (make_principals(drop=("user",)), Branch.NON_STAFF, "user-role"),
        (make_principals(no_password=True), Branch.SESSION_COOKIE, "password"),
        (make_principals(drop=("editor", "user", "retired")), Branch.OTHER_USERS_KEY, "two"),
    ],
    ids=["no-inactive", "no-user", "no-password", "alone"],
)
def test_an_unavailable_branch_has_a_reason_and_is_never_drawn(
    principals: Principals, branch: Branch, words: str
) -> None:
    for api in branch.apis:
        reason = unavailable_reason(principals, api, branch)
        assert reason is not None and words in reason
        assert branch not in available_branches(principals, api)
        with pytest.raises(ValueError, match=words):
            negative_attempts(principals, api, branch)
        with pytest.raises(ValueError, match=words):
            example_attempt(principals, api, branch)
        _assert_never_drawn(principals, api, branch)


def _assert_never_drawn(principals: Principals, api: Api, branch: Branch) -> None:
    @settings(FAST, max_examples=60)
    @given(negative_attempts(principals, api))
    def never_drawn(attempt: Attempt) -> None:
        assert attempt.branch is not branch
        assert f"header:{branch.slug}" not in attempt.labels
        if branch is Branch.SESSION_COOKIE:
            assert attempt.session_of is None
        _check(attempt, principals, api)

    never_drawn()


def test_without_a_staff_api_key_nothing_runs_on_v1() -> None:
    keyless = Principals(
        tuple(
            Principal(
                p.name,
                p.username,
                p.role,
                None if p.role is Role.STAFF else p.api_key,
                p.token,
                p.password,
            )
            for p in P.members
        )
    )
    for branch in Branch.for_api(Api.V1):
        assert "api_key" in (unavailable_reason(keyless, Api.V1, branch) or "")
    with pytest.raises(ValueError, match="api_key"):
        negative_attempts(keyless, Api.V1)
    with pytest.raises(ValueError, match="api_key"):
        positive_attempt(keyless, Api.V1)
    # v2 is untouched, except the branch that needs a staff api_key
    assert set(available_branches(keyless, Api.V2)) == set(Branch.for_api(Api.V2)) - {
        Branch.CROSS_VERSION
    }


def test_a_branch_of_the_other_api_is_refused() -> None:
    assert "does not apply" in (unavailable_reason(P, Api.V2, Branch.NO_COLON) or "")
    with pytest.raises(ValueError, match="does not apply"):
        negative_attempts(P, Api.V2, Branch.NO_COLON)
    with pytest.raises(ValueError, match="does not apply"):
        negative_attempts(P, Api.V1, Branch.BAD_TOKEN)


# --- examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("api", "branch"), CASES, ids=CASE_IDS)
def test_example_exists_is_negative_and_deterministic(api: Api, branch: Branch) -> None:
    example = example_attempt(P, api, branch)
    assert example.branch is branch
    _check(example, P, api)
    assert example == example_attempt(make_principals(), api, branch)


def test_examples_are_the_representative_ones() -> None:
    wrong = example_attempt(P, Api.V1, Branch.WRONG_KEY)
    ((_, value),) = wrong.headers
    scheme, _, data = value.partition(" ")
    username, key = data.split(":")
    assert (scheme, username, len(key)) == ("ApiKey", "admin", len(KEY))
    assert sum(a != b for a, b in zip(key, KEY, strict=True)) == 1

    legacy = example_attempt(P, Api.V1, Branch.LEGACY_QUERY)
    assert legacy.query == (("username", "admin"), ("api_key", KEY)) and legacy.headers == ()

    for api in Api:
        session = example_attempt(P, api, Branch.SESSION_COOKIE)
        assert session.session_of == "admin" and session.headers == ()

    override = example_attempt(P, Api.V1, Branch.METHOD_OVERRIDE)
    assert override.override_via == "GET"
    assert override.headers == override.query == override.form == ()
    assert override.session_of is None

    assert example_attempt(P, Api.V2, Branch.BAD_TOKEN).headers == (
        ("Authorization", f"Token {TOKEN.upper()}"),
    )
    assert example_attempt(P, Api.V1, Branch.CROSS_VERSION).headers == (
        ("Authorization", f"Token {TOKEN}"),
    )


def test_strategies_accept_any_principals_order(principals: Principals) -> None:
    reordered = Principals(tuple(reversed(principals.members)))
    assert available_branches(reordered, Api.V1) == available_branches(principals, Api.V1)

    @settings(FAST, max_examples=100)
    @given(st.one_of([negative_attempts(reordered, api) for api in Api]))
    def check(attempt: Attempt) -> None:
        _check(attempt, reordered, attempt.api)

    check()
