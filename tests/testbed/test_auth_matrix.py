"""Every negative auth branch of release-api.md (table 2.2 rows 1-22, table 2.5 rows 1-7).

Each credential row is sent with each write method. The clean testbed must answer as
python.org HEAD does (v1: an empty 401, never 403; v2: 401 with ``WWW-Authenticate: Token``,
or 403 for a valid non-staff token), and a raw-SQL snapshot of the downloads tables must be
identical before and after. Bodies are valid, so only authentication or authorization can
explain a refusal (v1 validates bodies before it authorizes them).

Positive controls prove the probes can write at all: a staff key (also with the lower-case
``apikey`` scheme), a staff token (also ``token``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import requests
import tbkit
from tbkit import ADMIN, EDITOR, KEYLESS_STAFF, RETIRED, USER, apikey, basic, token

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

# --------------------------------------------------------------------------------------------
# what is presented
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presented:
    id: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None  # credentials in a form-encoded body
    session: bool = False  # send the admin's session cookie
    read: int | None = None  # expected status of the list read (None: not applicable)
    sees_drafts: bool = False  # the read shows unpublished releases
    draft: int | None = None  # expected status of the draft release's detail


def _v1(id: str, **kwargs: Any) -> Presented:
    kwargs.setdefault("read", 401)
    kwargs.setdefault("draft", 401)
    return Presented(id, **kwargs)


BAD = "ApiKey"
KEY = ADMIN.api_key

# release-api.md table 2.2 rows 1-22: every one is a 401 write on HEAD.
V1_NEGATIVE = [
    _v1("01-no-header", read=200),
    _v1("02-empty-header", headers={"Authorization": ""}, read=200),
    _v1("03-no-colon", headers={"Authorization": f"{BAD} admin"}),
    _v1("04-scheme-only", headers={"Authorization": BAD}),
    _v1("05-empty-username", headers={"Authorization": f"{BAD} :{KEY}"}),
    _v1("06-empty-key", headers={"Authorization": f"{BAD} admin:"}),
    _v1("07-two-colons", headers={"Authorization": f"{BAD} admin:{KEY}:x"}),
    _v1("08-unknown-username", headers={"Authorization": f"{BAD} nobody:{KEY}"}),
    _v1("09-wrong-key", headers={"Authorization": f"{BAD} admin:{USER.api_key}"}),
    _v1("09-key-in-upper-case", headers={"Authorization": f"{BAD} admin:{KEY.upper()}"}),
    _v1("10-username-in-upper-case", headers={"Authorization": f"{BAD} ADMIN:{KEY}"}),
    _v1("11-inactive-staff-correct-key", headers=apikey(RETIRED)),
    _v1("12-staff-without-apikey-row", headers={"Authorization": f"{BAD} {KEYLESS_STAFF}:{KEY}"}),
    _v1("13-non-staff-correct-key", headers=apikey(USER), read=200),
    _v1("14-bearer-scheme", headers=token(ADMIN, "Bearer")),
    _v1("14-basic-scheme", headers=basic(ADMIN)),
    _v1("14-drf-token-scheme", headers=token(ADMIN)),
    _v1("16-two-spaces", headers={"Authorization": f"{BAD}  admin:{KEY}"}),
    _v1("17-query-username-and-key", params={"username": "admin", "api_key": KEY}),
    _v1("17-query-username-only", params={"username": "admin"}),
    _v1("17-query-api-key-only", params={"api_key": KEY}),
    _v1("17-query-empty-values", params={"username": "", "api_key": ""}),
    _v1("18-valid-header-plus-query-api-key", headers=apikey(ADMIN), params={"api_key": "x"}),
    _v1("19-form-body-credentials", form={"username": "admin", "api_key": KEY}, read=None),
    _v1("20-staff-session-cookie", session=True, read=200),
    _v1(
        "21-session-cookie-malformed-header",
        session=True,
        headers={"Authorization": "ApiKey admin"},
    ),
    _v1("22-session-cookie-non-staff-key", session=True, headers=apikey(USER), read=200),
]

# Rows 15 and 23, plus a staff user who is not a superuser.
V1_POSITIVE = [
    Presented(
        "15-lower-case-apikey-scheme",
        apikey(ADMIN, "apikey"),
        read=200,
        sees_drafts=True,
        draft=200,
    ),
    Presented("23-staff-key", apikey(ADMIN), read=200, sees_drafts=True, draft=200),
    Presented("23-staff-key-editor", apikey(EDITOR), read=200, sees_drafts=True, draft=200),
]


def _v2(id: str, detail: str, status: int = 401, **kwargs: Any) -> tuple[Presented, int, str]:
    kwargs.setdefault("read", 401)
    kwargs.setdefault("draft", 401)
    return Presented(id, **kwargs), status, detail


NOT_PROVIDED = "Authentication credentials were not provided."

# release-api.md table 2.5 rows 1-7: (presented, write status, DRF detail message).
V2_NEGATIVE = [
    _v2("1-no-header", NOT_PROVIDED, read=200, draft=404),
    _v2("1-empty-header", NOT_PROVIDED, headers={"Authorization": ""}, read=200, draft=404),
    _v2(
        "2-token-without-key",
        "Invalid token header. No credentials provided.",
        headers={"Authorization": "Token"},
    ),
    _v2(
        "3-token-with-spaces",
        "Invalid token header. Token string should not contain spaces.",
        headers={"Authorization": "Token a b"},
    ),
    _v2("4-unknown-token", "Invalid token.", headers={"Authorization": "Token " + "0" * 40}),
    _v2(
        "4-token-in-upper-case",
        "Invalid token.",
        headers={"Authorization": "Token " + ADMIN.token.upper()},
    ),
    _v2("5-inactive-user-token", "User inactive or deleted.", headers=token(RETIRED)),
    _v2(
        "6-non-staff-token",
        "You do not have permission to perform this action.",
        403,
        headers=token(USER),
        read=200,
        draft=404,
    ),
    _v2("7-bearer-scheme", NOT_PROVIDED, headers=token(ADMIN, "Bearer"), read=200, draft=404),
    _v2("7-v1-apikey-header", NOT_PROVIDED, headers=apikey(ADMIN), read=200, draft=404),
    _v2(
        "7-token-in-query-string", NOT_PROVIDED, params={"token": ADMIN.token}, read=200, draft=404
    ),
    _v2("7-staff-session-cookie", NOT_PROVIDED, session=True, read=200, draft=404),
]

V2_POSITIVE = [
    Presented(
        "8-lower-case-token-scheme", token(ADMIN, "token"), read=200, sees_drafts=True, draft=200
    ),
    Presented("9-staff-token", token(ADMIN), read=200, sees_drafts=True, draft=200),
    Presented("9-staff-token-editor", token(EDITOR), read=200, sees_drafts=True, draft=200),
]


def _send(
    info: TestbedInfo,
    presented: Presented,
    session: str,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """Send one request carrying ``presented``; a form credential row turns a JSON body into
    a form-encoded one with the same fields."""
    kwargs: dict[str, Any] = {"params": {**(params or {}), **presented.params}}
    if presented.form is not None:
        kwargs["data"] = {**(json or {}), **presented.form}
    elif json is not None:
        kwargs["json"] = json
    return tbkit.call(
        info,
        method,
        path,
        headers={**presented.headers, **(headers or {})},
        cookies={"sessionid": session} if presented.session else None,
        **kwargs,
    )


# --------------------------------------------------------------------------------------------
# the write probes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    id: str
    success: int
    # prepare(info) -> context; send(info, presented, session, context) -> response;
    # wrote(info, context) -> True when the database shows the write.
    prepare: Callable[[TestbedInfo], dict[str, Any]]
    send: Callable[[TestbedInfo, Presented, str, dict[str, Any]], requests.Response]
    wrote: Callable[[TestbedInfo, dict[str, Any]], bool]


def _new_os(info: TestbedInfo) -> dict[str, Any]:
    return {"body": tbkit.os_body()}


def _victim_os(info: TestbedInfo) -> dict[str, Any]:
    return {"pk": tbkit.plant_os(info)}


def _victim_release(info: TestbedInfo) -> dict[str, Any]:
    release = tbkit.plant_release(info)
    files = [tbkit.plant_release_file(info, release_id=release) for _ in range(2)]
    return {"release": release, "files": files}


def _os_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, "downloads_os", ctx["body"]["slug"])


def _os_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.row(info, "downloads_os", ctx["pk"]) is None


def _os_changed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_os", ctx["pk"])
    return found is not None and found["name"] == ctx["body"]["name"]


def _files_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.count(info, "downloads_releasefile", "release_id = ?", (ctx["release"],)) == 0


V1_PROBES = [
    Probe(
        "post-os-list",
        201,
        _new_os,
        lambda info, p, s, ctx: _send(
            info, p, s, "POST", "/api/v1/downloads/os/", json=ctx["body"]
        ),
        _os_created,
    ),
    Probe(
        "delete-os-detail",
        204,
        _victim_os,
        lambda info, p, s, ctx: _send(info, p, s, "DELETE", tbkit.v1_uri("os", ctx["pk"])),
        _os_gone,
    ),
    Probe(
        "delete-release-file-list-by-release",
        204,
        _victim_release,
        lambda info, p, s, ctx: _send(
            info,
            p,
            s,
            "DELETE",
            "/api/v1/downloads/release_file/",
            params={"release": ctx["release"]},
        ),
        _files_gone,
    ),
    Probe(
        "get-with-override-delete",
        204,
        _victim_os,
        lambda info, p, s, ctx: _send(
            info,
            p,
            s,
            "GET",
            tbkit.v1_uri("os", ctx["pk"]),
            headers={"X-HTTP-Method-Override": "DELETE"},
        ),
        _os_gone,
    ),
]


def _renamed_os(info: TestbedInfo) -> dict[str, Any]:
    pk = tbkit.plant_os(info)
    return {"pk": pk, "body": tbkit.os_body()}


def _v2_os(pk: int) -> str:
    return f"/api/v2/downloads/os/{pk}/"


V2_PROBES = [
    Probe(
        "post-os-list",
        201,
        _new_os,
        lambda info, p, s, ctx: _send(
            info, p, s, "POST", "/api/v2/downloads/os/", json=ctx["body"]
        ),
        _os_created,
    ),
    Probe(
        "put-os-detail",
        200,
        _renamed_os,
        lambda info, p, s, ctx: _send(info, p, s, "PUT", _v2_os(ctx["pk"]), json=ctx["body"]),
        _os_changed,
    ),
    Probe(
        "patch-os-detail",
        200,
        _renamed_os,
        lambda info, p, s, ctx: _send(
            info, p, s, "PATCH", _v2_os(ctx["pk"]), json={"name": ctx["body"]["name"]}
        ),
        _os_changed,
    ),
    Probe(
        "delete-os-detail",
        204,
        _victim_os,
        lambda info, p, s, ctx: _send(info, p, s, "DELETE", _v2_os(ctx["pk"])),
        _os_gone,
    ),
    Probe(
        "delete-by-release",
        204,
        _victim_release,
        lambda info, p, s, ctx: _send(
            info,
            p,
            s,
            "DELETE",
            "/api/v2/downloads/release_file/delete_by_release/",
            params={"release": ctx["release"]},
        ),
        _files_gone,
    ),
]


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


# --------------------------------------------------------------------------------------------
# v1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", V1_PROBES, ids=_ids(V1_PROBES))
@pytest.mark.parametrize("presented", V1_NEGATIVE, ids=_ids(V1_NEGATIVE))
def test_v1_refused_write_is_an_empty_401_and_changes_nothing(
    testbed: TestbedInfo, staff_session: str, presented: Presented, probe: Probe
) -> None:
    ctx = probe.prepare(testbed)
    before = tbkit.snapshot(testbed)
    response = probe.send(testbed, presented, staff_session, ctx)
    assert response.status_code == 401, response.text[:300]
    assert response.content == b""
    assert "WWW-Authenticate" not in response.headers
    assert tbkit.snapshot(testbed) == before
    assert not probe.wrote(testbed, ctx)


@pytest.mark.parametrize("probe", V1_PROBES, ids=_ids(V1_PROBES))
@pytest.mark.parametrize("presented", V1_POSITIVE, ids=_ids(V1_POSITIVE))
def test_v1_staff_key_writes(
    testbed: TestbedInfo, staff_session: str, presented: Presented, probe: Probe
) -> None:
    ctx = probe.prepare(testbed)
    before = tbkit.snapshot(testbed)
    response = probe.send(testbed, presented, staff_session, ctx)
    assert response.status_code == probe.success, response.text[:300]
    assert probe.wrote(testbed, ctx)
    assert tbkit.snapshot(testbed) != before


def test_v1_bulk_delete_removes_only_the_named_release(testbed: TestbedInfo) -> None:
    victim = _victim_release(testbed)
    bystander = tbkit.plant_release_file(testbed, release_id=tbkit.plant_release(testbed))
    response = tbkit.call(
        testbed,
        "DELETE",
        "/api/v1/downloads/release_file/",
        params={"release": victim["release"]},
        headers=apikey(ADMIN),
    )
    assert response.status_code == 204
    assert _files_gone(testbed, victim)
    assert tbkit.row(testbed, "downloads_releasefile", bystander) is not None
    assert tbkit.row(testbed, "downloads_release", victim["release"]) is not None


# Row 19 has no read column (its credentials travel in a POST body).
V1_READS = [p for p in V1_NEGATIVE + V1_POSITIVE if p.read is not None]


@pytest.mark.parametrize("presented", V1_READS, ids=_ids(V1_READS))
def test_v1_read_columns(testbed: TestbedInfo, staff_session: str, presented: Presented) -> None:
    """Table 2.2 'Read' and 'Draft' columns: which identity each row ends up with."""
    listing = _send(testbed, presented, staff_session, "GET", "/api/v1/downloads/release/")
    assert listing.status_code == presented.read, listing.text[:300]
    if listing.status_code == 200:
        slugs = {obj["slug"] for obj in listing.json()["objects"]}
        assert "python-3140" in slugs
        assert ("python-3150a0" in slugs) == presented.sees_drafts
    draft = _send(testbed, presented, staff_session, "GET", tbkit.v1_uri("release", 2))
    assert draft.status_code == presented.draft


# --------------------------------------------------------------------------------------------
# v2
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("probe", V2_PROBES, ids=_ids(V2_PROBES))
@pytest.mark.parametrize(
    ("presented", "status", "detail"), V2_NEGATIVE, ids=[row[0].id for row in V2_NEGATIVE]
)
def test_v2_refused_write_is_401_or_403_and_changes_nothing(
    testbed: TestbedInfo,
    staff_session: str,
    presented: Presented,
    status: int,
    detail: str,
    probe: Probe,
) -> None:
    ctx = probe.prepare(testbed)
    before = tbkit.snapshot(testbed)
    response = probe.send(testbed, presented, staff_session, ctx)
    assert response.status_code == status, response.text[:300]
    assert response.json() == {"detail": detail}
    if status == 401:
        assert response.headers.get("WWW-Authenticate") == "Token"
    assert tbkit.snapshot(testbed) == before
    assert not probe.wrote(testbed, ctx)


@pytest.mark.parametrize("probe", V2_PROBES, ids=_ids(V2_PROBES))
@pytest.mark.parametrize("presented", V2_POSITIVE, ids=_ids(V2_POSITIVE))
def test_v2_staff_token_writes(
    testbed: TestbedInfo, staff_session: str, presented: Presented, probe: Probe
) -> None:
    ctx = probe.prepare(testbed)
    before = tbkit.snapshot(testbed)
    response = probe.send(testbed, presented, staff_session, ctx)
    assert response.status_code == probe.success, response.text[:300]
    assert probe.wrote(testbed, ctx)
    assert tbkit.snapshot(testbed) != before


def test_v2_delete_by_release_ignores_other_params(testbed: TestbedInfo) -> None:
    """Section 1.5 / 7 #8: ``?release=N&os=M`` still deletes every file of release N."""
    other_os = tbkit.plant_os(testbed)
    victim = _victim_release(testbed)
    tbkit.plant_release_file(testbed, release_id=victim["release"], os_id=other_os)
    bystander = tbkit.plant_release_file(testbed, release_id=tbkit.plant_release(testbed))
    response = tbkit.call(
        testbed,
        "DELETE",
        "/api/v2/downloads/release_file/delete_by_release/",
        params={"release": victim["release"], "os": other_os},
        headers=token(ADMIN),
    )
    assert response.status_code == 204
    assert _files_gone(testbed, victim)
    assert tbkit.row(testbed, "downloads_releasefile", bystander) is not None


V2_READS = [row[0] for row in V2_NEGATIVE] + V2_POSITIVE


@pytest.mark.parametrize("presented", V2_READS, ids=_ids(V2_READS))
def test_v2_read_columns(testbed: TestbedInfo, staff_session: str, presented: Presented) -> None:
    """Table 2.5 'Read' and 'Draft detail' columns."""
    listing = _send(testbed, presented, staff_session, "GET", "/api/v2/downloads/release/")
    assert listing.status_code == presented.read, listing.text[:300]
    if listing.status_code == 200:
        slugs = {obj["slug"] for obj in listing.json()}
        assert "python-3140" in slugs
        assert ("python-3150a0" in slugs) == presented.sees_drafts
    draft = _send(testbed, presented, staff_session, "GET", "/api/v2/downloads/release/2/")
    assert draft.status_code == presented.draft
