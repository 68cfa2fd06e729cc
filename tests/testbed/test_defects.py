"""Each defect switch re-opens exactly its historical bug, and nothing else.

For every switch in ``testbed.defects`` there is at least one reproduction: a request (or a
raw SQL write, for the schema defects) that succeeds and really writes (checked in the
database) when the switch is on, and is refused without writing anything when it is off.
With only one switch on, the reproductions of the other switches stay refused, except where
one defect necessarily implies another (no URL rule at all also admits http:// and
look-alike hosts; see ``IMPLIES``). ``BOUNDS`` lists the neighbouring forms a switch must leave
as HEAD has them, so that each defect is found only through its own sub-form.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import tbkit
from tbkit import ADMIN, KEYLESS_STAFF, RETIRED, USER, apikey, basic, token

from testbed.defects import DEFECT_NAMES, DEFECTS, UnknownDefectError, parse_defects
from testbed.runner import Testbed

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

Outcome = int | str  # an HTTP status, or what a raw SQL write did


@dataclass(frozen=True)
class Repro:
    defect: str
    id: str
    on: Outcome  # with the switch on
    off: Outcome  # with it off (python.org HEAD)
    prepare: Callable[[TestbedInfo], dict[str, Any]]
    attempt: Callable[[TestbedInfo, dict[str, Any]], Outcome]
    wrote: Callable[[TestbedInfo, dict[str, Any]], bool]

    def __str__(self) -> str:
        return f"{self.defect}/{self.id}"


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------


def _new_os(info: TestbedInfo) -> dict[str, Any]:
    return {"body": tbkit.os_body()}


def _os_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, "downloads_os", ctx["body"]["slug"])


def _post_v1_os(
    headers: Callable[[TestbedInfo], dict[str, str]] | None = None, **extra: Any
) -> Any:
    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        return tbkit.call(
            info,
            "POST",
            "/api/v1/downloads/os/",
            headers=headers(info) if headers else None,
            json=ctx["body"],
            **extra,
        ).status_code

    return attempt


def _with_keyless_staff(info: TestbedInfo) -> dict[str, Any]:
    tbkit.ensure_keyless_staff(info)
    return _new_os(info)


def _with_session(info: TestbedInfo) -> dict[str, Any]:
    return {**_new_os(info), "session": tbkit.login_session(info, ADMIN)}


def _post_with_session(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    return tbkit.call(
        info,
        "POST",
        "/api/v1/downloads/os/",
        cookies={"sessionid": ctx["session"]},
        json=ctx["body"],
    ).status_code


def _some_files(info: TestbedInfo) -> dict[str, Any]:
    release = tbkit.plant_release(info)
    for _ in range(2):
        tbkit.plant_release_file(info, release_id=release)
    assert tbkit.count(info, "downloads_releasefile") >= 2
    return {}


def _no_files_left(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.count(info, "downloads_releasefile") == 0


def _v1_unscoped_delete(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    return tbkit.call(
        info, "DELETE", "/api/v1/downloads/release_file/", headers=apikey(ADMIN)
    ).status_code


def _v2_blank_release_delete(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    return tbkit.call(
        info,
        "DELETE",
        "/api/v2/downloads/release_file/delete_by_release/?release=",
        headers=token(ADMIN),
    ).status_code


def _file_values(kind: str) -> dict[str, str]:
    """Release-file URL values that break exactly one rule."""
    stem = tbkit.unique("f")
    if kind == "foreign":
        return {"url": f"https://evil.example/{stem}.tgz"}
    if kind == "http":
        return {"url": f"http://www.python.org/ftp/python/{stem}.tgz"}
    if kind == "lookalike":
        return {"url": f"https://www.python.org.evil.example/{stem}.tgz"}
    if kind == "sidecar":
        url = tbkit.legal_file_url(stem)
        return {"url": url, "gpg_signature_file": f"{tbkit.ALLOWED}ftp/python/other-{stem}.tgz.asc"}
    raise AssertionError(kind)


def _file_prepare(kind: str) -> Callable[[TestbedInfo], dict[str, Any]]:
    def prepare(info: TestbedInfo) -> dict[str, Any]:
        values = _file_values(kind)
        sidecars = dict.fromkeys(tbkit.SIDECARS, "")
        return {"values": {**sidecars, **values}}

    return prepare


def _v1_post_file(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    body = tbkit.v1_file_body(**ctx["values"])
    return tbkit.call(
        info, "POST", "/api/v1/downloads/release_file/", headers=apikey(ADMIN), json=body
    ).status_code


def _v2_post_file(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    body = tbkit.v2_file_body(info, **ctx["values"])
    return tbkit.call(
        info, "POST", "/api/v2/downloads/release_file/", headers=token(ADMIN), json=body
    ).status_code


def _raw_insert_file(info: TestbedInfo, ctx: dict[str, Any]) -> str:
    try:
        tbkit.plant_release_file(info, **ctx["values"])
    except tbkit.integrity_errors():
        return "IntegrityError"
    return "inserted"


def _file_stored(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.url_exists(info, ctx["values"]["url"])


def _url_repros(defect: str, kind: str, *, database: bool = False) -> list[Repro]:
    repros = [
        Repro(
            defect,
            "v1-post-release-file",
            201,
            400,
            _file_prepare(kind),
            _v1_post_file,
            _file_stored,
        ),
        Repro(
            defect,
            "v2-post-release-file",
            201,
            400,
            _file_prepare(kind),
            _v2_post_file,
            _file_stored,
        ),
    ]
    if database:
        repros.append(
            Repro(
                defect,
                "raw-sql-insert",
                "inserted",
                "IntegrityError",
                _file_prepare(kind),
                _raw_insert_file,
                _file_stored,
            )
        )
    return repros


def _post_v2_os(headers: Callable[[TestbedInfo], dict[str, str]]) -> Any:
    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        return tbkit.call(
            info, "POST", "/api/v2/downloads/os/", headers=headers(info), json=ctx["body"]
        ).status_code

    return attempt


def _v1_key(key: str, username: str = "admin", space: str = " ") -> dict[str, str]:
    return {"Authorization": f"ApiKey{space}{username}:{key}"}


def _victim_os(info: TestbedInfo) -> dict[str, Any]:
    return {"pk": tbkit.plant_os(info)}


def _os_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.row(info, "downloads_os", ctx["pk"]) is None


def _get_v2_os_detail(headers: dict[str, str] | None = None, **extra: Any) -> Any:
    """An anonymous GET of a planted OS's v2 detail URL, carrying an override."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        path = f"/api/v2/downloads/os/{ctx['pk']}/"
        return tbkit.call(info, "GET", path, headers=headers, **extra).status_code

    return attempt


def _get_v2_os_list(headers: dict[str, str] | None = None, **extra: Any) -> Any:
    """An anonymous GET of the v2 OS list with a JSON body, carrying an override."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        return tbkit.call(
            info, "GET", "/api/v2/downloads/os/", headers=headers, json=ctx["body"], **extra
        ).status_code

    return attempt


def _v1_post_file_as(content_type: str) -> Callable[[TestbedInfo, dict[str, Any]], int]:
    """The staff POST of ``_v1_post_file``, with the body in XML or YAML."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        body = tbkit.v1_file_body(**ctx["values"])
        return tbkit.call(
            info,
            "POST",
            "/api/v1/downloads/release_file/",
            headers={**apikey(ADMIN), "Content-Type": content_type},
            data=tbkit.formatted(body, content_type).encode(),
        ).status_code

    return attempt


REPROS: list[Repro] = [
    Repro(
        "guest-fallthrough",
        "known-username-wrong-key",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: {"Authorization": f"ApiKey admin:{USER.api_key}"}),
        _os_created,
    ),
    Repro(
        "guest-fallthrough",
        "staff-without-apikey-row",
        201,
        401,
        _with_keyless_staff,
        _post_v1_os(lambda info: {"Authorization": f"ApiKey {KEYLESS_STAFF}:{'a' * 40}"}),
        _os_created,
    ),
    Repro(
        "legacy-credentials",
        "query-string-credentials",
        201,
        401,
        _new_os,
        _post_v1_os(params={"username": ADMIN.username, "api_key": ADMIN.api_key}),
        _os_created,
    ),
    Repro(
        "session-cookie-write",
        "staff-session-cookie-no-header",
        201,
        401,
        _with_session,
        _post_with_session,
        _os_created,
    ),
    Repro(
        "inactive-user",
        "inactive-staff-key",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: apikey(RETIRED)),
        _os_created,
    ),
    Repro(
        "unscoped-bulk-delete",
        "v1-list-delete-without-filter",
        204,
        400,
        _some_files,
        _v1_unscoped_delete,
        _no_files_left,
    ),
    Repro(
        "unscoped-bulk-delete",
        "v2-delete-by-release-blank",
        204,
        400,
        _some_files,
        _v2_blank_release_delete,
        _no_files_left,
    ),
    *_url_repros("no-url-constraint", "foreign", database=True),
    *_url_repros("http-urls", "http"),
    *_url_repros("sidecar-mismatch", "sidecar"),
    *_url_repros("lookalike-host", "lookalike", database=True),
    Repro(
        "v2-basic-auth",
        "basic-admin-password",
        201,
        401,
        _new_os,
        _post_v2_os(lambda info: basic(ADMIN)),
        _os_created,
    ),
    Repro(
        "key-extension",
        "right-key-plus-suffix",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: _v1_key(ADMIN.api_key + "abc")),
        _os_created,
    ),
    Repro(
        "username-strip",
        "second-space-before-username",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: _v1_key(ADMIN.api_key, space="  ")),
        _os_created,
    ),
    Repro(
        "username-strip",
        "tab-before-username",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: _v1_key(ADMIN.api_key, space=" \t")),
        _os_created,
    ),
    Repro(
        "username-strip",
        "space-before-colon",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: _v1_key(ADMIN.api_key, username="admin ")),
        _os_created,
    ),
    Repro(
        "proxy-user-header",
        "x-forwarded-user-admin",
        201,
        401,
        _new_os,
        _post_v2_os(lambda info: {"X-Forwarded-User": "admin"}),
        _os_created,
    ),
    Repro(
        "trusted-network",
        "x-real-ip-build-network",
        201,
        401,
        _new_os,
        _post_v1_os(lambda info: {"X-Real-IP": "10.0.0.1"}),
        _os_created,
    ),
    Repro(
        "override-after-auth",
        "get-detail-as-delete",
        204,
        200,
        _victim_os,
        _get_v2_os_detail({"X-HTTP-Method": "DELETE"}),
        _os_gone,
    ),
    Repro(
        "override-after-auth",
        "get-list-as-post",
        201,
        200,
        _new_os,
        _get_v2_os_list({"X-HTTP-Method": "POST"}),
        _os_created,
    ),
    Repro(
        "query-method-override",
        "get-detail-as-delete",
        204,
        200,
        _victim_os,
        _get_v2_os_detail(params={"_method": "DELETE"}),
        _os_gone,
    ),
    Repro(
        "query-method-override",
        "get-detail-as-lower-case-delete",
        204,
        200,
        _victim_os,
        _get_v2_os_detail(params={"_method": "delete"}),
        _os_gone,
    ),
    Repro(
        "query-method-override",
        "get-list-as-post",
        201,
        200,
        _new_os,
        _get_v2_os_list(params={"_method": "post"}),
        _os_created,
    ),
    Repro(
        "sidecar-check-json-only",
        "v1-post-release-file-xml",
        201,
        400,
        _file_prepare("sidecar"),
        _v1_post_file_as(tbkit.XML),
        _file_stored,
    ),
    Repro(
        "sidecar-check-json-only",
        "v1-post-release-file-yaml",
        201,
        400,
        _file_prepare("sidecar"),
        _v1_post_file_as(tbkit.YAML),
        _file_stored,
    ),
]

# Switching off every URL rule necessarily admits http:// and look-alike hosts too; switching
# off the sidecar rule everywhere switches it off for XML and YAML bodies too; a known username
# with any key at all admits the right key with a suffix.
IMPLIES: dict[str, set[str]] = {
    "guest-fallthrough": {"key-extension"},
    "no-url-constraint": {"http-urls", "lookalike-host"},
    "sidecar-mismatch": {"sidecar-check-json-only"},
}

REPRO_IDS = [str(r) for r in REPROS]


@dataclass(frozen=True)
class Bound:
    """A neighbour of a switch's reproduction that the switch must leave as HEAD has it.

    With the switch on (and on the clean testbed) the request gets ``status`` and writes
    only if ``writes``: the forms the defect does not admit stay refused, so only its own
    sub-form finds it, and the controls that write at HEAD (the exact key) still do. A
    non-staff identity the defect does establish is refused with 403 where HEAD, seeing no
    identity at all, says 401 (``head_status``); either way nothing is written.
    """

    defect: str
    id: str
    status: int
    writes: bool
    prepare: Callable[[TestbedInfo], dict[str, Any]]
    attempt: Callable[[TestbedInfo, dict[str, Any]], Outcome]
    wrote: Callable[[TestbedInfo, dict[str, Any]], bool]
    head_status: int | None = None  # None: the same as with the switch on

    def __str__(self) -> str:
        return f"{self.defect}/{self.id}"


def _refused_post_v1(defect: str, id: str, headers: dict[str, str]) -> Bound:
    return Bound(defect, id, 401, False, _new_os, _post_v1_os(lambda info: headers), _os_created)


def _refused_post_v2(defect: str, id: str, headers: dict[str, str], status: int = 401) -> Bound:
    attempt = _post_v2_os(lambda info: headers)
    return Bound(defect, id, status, False, _new_os, attempt, _os_created, head_status=401)


def _unknown_user(info: TestbedInfo) -> dict[str, Any]:
    return {**_new_os(info), "username": tbkit.unique("nobody")}


def _post_v2_os_as_forwarded_user(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    return _post_v2_os(lambda info: {"X-Forwarded-User": ctx["username"]})(info, ctx)


def _os_or_user_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    made_user = tbkit.count(info, "auth_user", "username = ?", (ctx["username"],)) > 0
    return made_user or _os_created(info, ctx)


def _untouched_detail(defect: str, id: str, **request: Any) -> Bound:
    return Bound(defect, id, 200, False, _victim_os, _get_v2_os_detail(**request), _os_gone)


KEY = ADMIN.api_key


def _basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


BOUNDS: list[Bound] = [
    _refused_post_v2("v2-basic-auth", "basic-wrong-password", _basic("admin", USER.password)),
    _refused_post_v2("v2-basic-auth", "basic-non-staff-password", basic(USER), status=403),
    _refused_post_v2("v2-basic-auth", "basic-inactive-staff-password", basic(RETIRED)),
    Bound(
        "key-extension",
        "exact-key-still-writes",
        201,
        True,
        _new_os,
        _post_v1_os(lambda info: _v1_key(KEY)),
        _os_created,
    ),
    _refused_post_v1("key-extension", "wrong-key-same-length", _v1_key(USER.api_key)),
    _refused_post_v1("key-extension", "right-key-short-by-one", _v1_key(KEY[:-1])),
    _refused_post_v1("key-extension", "suffix-on-a-wrong-key", _v1_key(USER.api_key + "abc")),
    _refused_post_v1("username-strip", "space-inside-username", _v1_key(KEY, username="ad min")),
    _refused_post_v1("username-strip", "space-before-key", _v1_key(" " + KEY)),
    _refused_post_v1("username-strip", "username-in-upper-case", _v1_key(KEY, username="ADMIN")),
    *(
        _refused_post_v2("proxy-user-header", f"{name.lower()}-admin", {name: "admin"})
        for name in (
            "X-Remote-User",
            "Remote-User",
            "X-Auth-Request-User",
            "X-User",
            "X-Webauth-User",
        )
    ),
    _refused_post_v2(
        "proxy-user-header", "x-forwarded-user-non-staff", {"X-Forwarded-User": "user"}, 403
    ),
    _refused_post_v2(
        "proxy-user-header", "x-forwarded-user-inactive", {"X-Forwarded-User": "retired"}
    ),
    Bound(
        "proxy-user-header",
        "x-forwarded-user-unknown-creates-no-user",
        401,
        False,
        _unknown_user,
        _post_v2_os_as_forwarded_user,
        _os_or_user_created,
    ),
    _refused_post_v1(
        "trusted-network", "x-forwarded-for-build-network", {"X-Forwarded-For": "10.0.0.1"}
    ),
    _refused_post_v1("trusted-network", "x-real-ip-loopback", {"X-Real-IP": "127.0.0.1"}),
    _refused_post_v1("trusted-network", "x-client-ip-build-network", {"X-Client-IP": "10.0.0.1"}),
    _refused_post_v1(
        "trusted-network",
        "x-real-ip-build-network-with-a-wrong-key",
        {"X-Real-IP": "10.0.0.1", **_v1_key(USER.api_key)},
    ),
    _untouched_detail(
        "override-after-auth",
        "x-http-method-override-delete",
        headers={"X-HTTP-Method-Override": "DELETE"},
    ),
    _untouched_detail(
        "override-after-auth", "x-method-override-delete", headers={"X-Method-Override": "DELETE"}
    ),
    _untouched_detail("override-after-auth", "query-method-delete", params={"_method": "DELETE"}),
    _untouched_detail(
        "query-method-override", "x-http-method-delete", headers={"X-HTTP-Method": "DELETE"}
    ),
    _untouched_detail(
        "query-method-override", "form-body-method-delete", data={"_method": "DELETE"}
    ),
    Bound(
        "sidecar-check-json-only",
        "v1-post-release-file-json",
        400,
        False,
        _file_prepare("sidecar"),
        _v1_post_file,
        _file_stored,
    ),
    Bound(
        "sidecar-check-json-only",
        "v1-post-release-file-xml-foreign-host",
        400,
        False,
        _file_prepare("foreign"),
        _v1_post_file_as(tbkit.XML),
        _file_stored,
    ),
    Bound(
        "sidecar-check-json-only",
        "v1-post-release-file-yaml-http",
        400,
        False,
        _file_prepare("http"),
        _v1_post_file_as(tbkit.YAML),
        _file_stored,
    ),
]


def _run(info: TestbedInfo, repro: Repro) -> tuple[Outcome, bool, bool]:
    """Attempt a reproduction: (outcome, wrote, anything else in the tables changed)."""
    ctx = repro.prepare(info)
    before = tbkit.snapshot(info)
    outcome = repro.attempt(info, ctx)
    return outcome, repro.wrote(info, ctx), tbkit.snapshot(info) != before


def _assert_reproduces(info: TestbedInfo, repro: Repro) -> None:
    outcome, wrote, changed = _run(info, repro)
    assert outcome == repro.on, f"{repro} on {sorted(info.defects)}: got {outcome}"
    assert wrote and changed, f"{repro} on {sorted(info.defects)}: {outcome} but nothing written"


def _assert_refused(info: TestbedInfo, repro: Repro) -> None:
    outcome, wrote, changed = _run(info, repro)
    assert outcome == repro.off, f"{repro} on {sorted(info.defects)}: got {outcome}"
    assert not wrote and not changed, f"{repro} on {sorted(info.defects)}: the database changed"


def _assert_bound(info: TestbedInfo, bound: Bound) -> None:
    ctx = bound.prepare(info)
    before = tbkit.snapshot(info)
    outcome = bound.attempt(info, ctx)
    found = (outcome, bound.wrote(info, ctx), tbkit.snapshot(info) != before)
    status = bound.status if info.defects or bound.head_status is None else bound.head_status
    expected = (status, bound.writes, bound.writes)
    assert found == expected, f"{bound} on {sorted(info.defects)}: {found} instead of {expected}"


def test_every_switch_has_a_reproduction() -> None:
    assert {r.defect for r in REPROS} == DEFECT_NAMES
    assert {b.defect for b in BOUNDS} <= DEFECT_NAMES


# --------------------------------------------------------------------------------------------
# one switch at a time
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[d.name for d in DEFECTS])
def switched(request: pytest.FixtureRequest, testbeds: tbkit.TestbedPool) -> Iterator[TestbedInfo]:
    """A testbed with exactly one switch on; pytest groups the tests by switch, so only one
    such testbed runs at a time."""
    info = testbeds.get([request.param])
    try:
        yield info
    finally:
        testbeds.stop([request.param])


def test_switch_on_reproduces_its_defect(switched: TestbedInfo) -> None:
    (defect,) = switched.defects
    for repro in [r for r in REPROS if r.defect == defect]:
        _assert_reproduces(switched, repro)


def test_switch_on_reopens_nothing_else(switched: TestbedInfo) -> None:
    (defect,) = switched.defects
    implied = IMPLIES.get(defect, set())
    wrong = []
    for repro in [r for r in REPROS if r.defect != defect]:
        outcome, wrote, changed = _run(switched, repro)
        expected = (repro.on, True, True) if repro.defect in implied else (repro.off, False, False)
        if (outcome, wrote, changed) != expected:
            wrong.append(f"{repro}: {(outcome, wrote, changed)} instead of {expected}")
    assert not wrong, f"with only {defect} on:\n" + "\n".join(wrong)


def test_switch_on_keeps_the_neighbouring_forms_as_head_has_them(switched: TestbedInfo) -> None:
    (defect,) = switched.defects
    for bound in [b for b in BOUNDS if b.defect == defect]:
        _assert_bound(switched, bound)


@pytest.mark.parametrize("bound", BOUNDS, ids=[str(b) for b in BOUNDS])
def test_neighbouring_forms_are_the_same_at_head(testbed: TestbedInfo, bound: Bound) -> None:
    _assert_bound(testbed, bound)


@pytest.mark.parametrize("repro", REPROS, ids=REPRO_IDS)
def test_switch_off_refuses_and_writes_nothing(testbed: TestbedInfo, repro: Repro) -> None:
    _assert_refused(testbed, repro)


# --------------------------------------------------------------------------------------------
# combinations
# --------------------------------------------------------------------------------------------

# Two switches from different layers, and every switch at once (each start costs ~1.5 s).
COMBINATIONS = [
    ("guest-fallthrough", "http-urls"),
    tuple(sorted(DEFECT_NAMES)),
]


@pytest.mark.parametrize("defects", COMBINATIONS, ids=["v1-auth+v2-url", "all-switches"])
def test_combined_switches_each_reproduce(
    testbeds: tbkit.TestbedPool, defects: tuple[str, ...]
) -> None:
    info = testbeds.get(defects)
    try:
        assert info.defects == frozenset(defects)
        enabled = set(defects).union(*(IMPLIES.get(d, set()) for d in defects))
        for repro in REPROS:
            if repro.defect in enabled:
                _assert_reproduces(info, repro)
            else:
                _assert_refused(info, repro)
    finally:
        testbeds.stop(defects)


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------


def test_parse_defects_accepts_commas_spaces_and_iterables() -> None:
    assert parse_defects(None) == frozenset()
    assert parse_defects("") == frozenset()
    assert parse_defects(" guest-fallthrough , http-urls ,") == {"guest-fallthrough", "http-urls"}
    assert parse_defects(["inactive-user", "inactive-user"]) == {"inactive-user"}


@pytest.mark.parametrize(
    "value", ["nope", "guest-fallthrough,nope", ["http-urls", "nope"]], ids=str
)
def test_parse_defects_refuses_unknown_names_listing_the_valid_ones(value: Any) -> None:
    with pytest.raises(UnknownDefectError) as error:
        parse_defects(value)
    message = str(error.value)
    assert "nope" in message
    assert "\n" not in message
    for name in DEFECT_NAMES:
        assert name in message


def test_testbed_refuses_unknown_defect_before_starting_anything() -> None:
    bed = Testbed(defects=["nope"])
    with pytest.raises(UnknownDefectError, match="valid defects are"):
        bed.start()
    assert bed.info is None
    assert bed._process is None


def test_serve_refuses_unknown_defect_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "testbed.serve", "--port", "0", "--defects", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert lines[0].startswith("authfuzz testbed: error: unknown defect nope")
    for name in DEFECT_NAMES:
        assert name in lines[0]
