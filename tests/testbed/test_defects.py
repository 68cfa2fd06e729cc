"""Each defect switch re-opens exactly its historical bug, and nothing else.

For every switch in ``testbed.defects`` there is at least one reproduction: a request (or a
raw SQL write, for the schema defects) that succeeds and really writes (checked in the
database) when the switch is on, and is refused without writing anything when it is off.
The issue-18 switches' requests are refused with the switch on too (except the staff update of
url-swap-keeps-sidecars): what they write lands on an object other than the one addressed.
The issue-19 switches each sit on one dimension a negative attempt varies along (the
credential's bytes, the body's form, the object's provenance, the moment, the answer, the
stored URL, the identity); the differential-identity one reveals instead of writing (``reveals``):
its reproduction reads what the database says only staff may read, and the tables stay as they
were. With only one switch on, the reproductions of the other switches stay refused, except where
one defect necessarily implies another (no URL rule at all also admits http:// and
look-alike hosts; see ``IMPLIES``). ``BOUNDS`` lists the neighbouring forms a switch must leave
as HEAD has them, so that each defect is found only through its own sub-form.
"""

from __future__ import annotations

import base64
import itertools
import subprocess
import sys
import time
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
    wrote: Callable[[TestbedInfo, dict[str, Any]], bool]  # or, for a reveal, what it revealed
    reveals: bool = False  # a read: ``wrote`` checks the answer, and no table may change

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


# -- the route-surface switches: undocumented routes with weaker rules ------------------------

Body = Callable[["TestbedInfo", dict[str, Any]], Any]
PathOf = Callable[[dict[str, Any]], str]


def _send(
    method: str, path: PathOf, headers: dict[str, str] | None = None, body: Body | None = None
) -> Callable[[TestbedInfo, dict[str, Any]], int]:
    """One request to ``path(ctx)``, with a JSON body ``body(info, ctx)`` if given."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        extra = {} if body is None else {"json": body(info, ctx)}
        return tbkit.call(info, method, path(ctx), headers=headers, **extra).status_code

    return attempt


def _victim_file(info: TestbedInfo) -> dict[str, Any]:
    pk = tbkit.plant_release_file(info)
    found = tbkit.row(info, "downloads_releasefile", pk)
    assert found is not None
    return {"pk": pk, "slug": found["slug"], "url": found["url"], "name": tbkit.unique("renamed")}


def _file_renamed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    return found is not None and found["name"] == ctx["name"]


def _file_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.row(info, "downloads_releasefile", ctx["pk"]) is None


def _file_put_body(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return tbkit.v2_file_body(info, ctx["slug"], name=ctx["name"], url=ctx["url"])


def _rename(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return {"name": ctx["name"]}


def _detail_path(suffix: str, api: str = "v2", resource: str = "release_file") -> PathOf:
    return lambda ctx: f"/api/{api}/downloads/{resource}/{ctx['pk']}{suffix}"


def _victim_release(published: bool) -> Callable[[TestbedInfo], dict[str, Any]]:
    def prepare(info: TestbedInfo) -> dict[str, Any]:
        return {"pk": tbkit.plant_release(info, published=published), "name": tbkit.unique("r")}

    return prepare


def _release_renamed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_release", ctx["pk"])
    return found is not None and found["name"] == ctx["name"]


def _release_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.row(info, "downloads_release", ctx["pk"]) is None


def _new_release(info: TestbedInfo) -> dict[str, Any]:
    return {"body": tbkit.release_body()}


def _release_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, "downloads_release", ctx["body"]["slug"])


def _post_body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return ctx["body"]


def _missing_pk(info: TestbedInfo, table: str) -> int:
    """An id no row has, well past the table's sequence (a PUT there must not create it)."""
    top = tbkit.query(info, f"SELECT MAX(id) FROM {table}")[0][0] or 0
    return int(top) + 100_000


def _missing(resource: str, table: str) -> Callable[[TestbedInfo], dict[str, Any]]:
    def prepare(info: TestbedInfo) -> dict[str, Any]:
        slug = tbkit.unique(resource.replace("_", "-"))
        body: dict[str, Any] = {
            "os": tbkit.os_body(slug),
            "release": tbkit.release_body(slug),
            "release_file": tbkit.v2_file_body(info, slug),
        }[resource]
        return {"pk": _missing_pk(info, table), "body": body, "table": table}

    return prepare


def _created_at_missing_pk(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, ctx["table"], ctx["body"]["slug"]) or (
        tbkit.row(info, ctx["table"], ctx["pk"]) is not None
    )


def _os_set(info: TestbedInfo) -> dict[str, Any]:
    pks = [tbkit.plant_os(info), tbkit.plant_os(info)]
    return {
        "pks": pks,
        "path": ";".join(str(pk) for pk in [*pks, _missing_pk(info, "downloads_os")]),
    }


def _os_set_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return all(tbkit.row(info, "downloads_os", pk) is None for pk in ctx["pks"])


def _os_set_touched(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return any(tbkit.row(info, "downloads_os", pk) is None for pk in ctx["pks"])


def _set_path(resource: str) -> PathOf:
    return lambda ctx: f"/api/v1/downloads/{resource}/set/{ctx['path']}/"


def _some_set(resource: str) -> Callable[[TestbedInfo], dict[str, Any]]:
    """Two planted objects of ``resource`` for its ``set/`` route."""
    plant = {
        "release": lambda info: tbkit.plant_release(info),
        "release_file": lambda info: tbkit.plant_release_file(info),
    }[resource]
    table = {"release": "downloads_release", "release_file": "downloads_releasefile"}[resource]

    def prepare(info: TestbedInfo) -> dict[str, Any]:
        pks = [plant(info), plant(info)]
        return {"pks": pks, "table": table, "path": ";".join(map(str, pks))}

    return prepare


def _set_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return any(tbkit.row(info, ctx["table"], pk) is None for pk in ctx["pks"])


USER_V1 = apikey(USER)
USER_V2 = token(USER)
STAFF_V1 = apikey(ADMIN)
STAFF_V2 = token(ADMIN)
WRONG_KEY = {"Authorization": f"ApiKey user:{ADMIN.api_key}"}

ROUTE_REPROS: list[Repro] = [
    Repro(
        "v2-json-suffix-write",
        "user-put-release-file-json",
        200,
        403,
        _victim_file,
        _send("PUT", _detail_path(".json"), USER_V2, _file_put_body),
        _file_renamed,
    ),
    Repro(
        "v2-json-suffix-write",
        "user-patch-release-file-json-slash",
        200,
        403,
        _victim_file,
        _send("PATCH", _detail_path(".json/"), USER_V2, _rename),
        _file_renamed,
    ),
    Repro(
        "v2-json-suffix-write",
        "user-delete-release-file-json",
        204,
        403,
        _victim_file,
        _send("DELETE", _detail_path(".json"), USER_V2),
        _file_gone,
    ),
    Repro(
        "no-slash-create",
        "user-post-release-without-slash",
        201,
        301,
        _new_release,
        _send("POST", lambda ctx: "/api/v2/downloads/release", USER_V2, _post_body),
        _release_created,
    ),
    Repro(
        "v1-detail-patch",
        "user-patch-draft-release",
        202,
        405,
        _victim_release(published=False),
        _send("PATCH", _detail_path("/", "v1", "release"), USER_V1, _rename),
        _release_renamed,
    ),
    Repro(
        "v1-detail-patch",
        "user-patch-published-release",
        202,
        405,
        _victim_release(published=True),
        _send("PATCH", _detail_path("/", "v1", "release"), USER_V1, _rename),
        _release_renamed,
    ),
    *(
        Repro(
            "put-creates",
            f"staff-put-missing-{resource.replace('_', '-')}",
            201,
            404,
            _missing(resource, table),
            _send("PUT", _detail_path("/", "v2", resource), STAFF_V2, _post_body),
            _created_at_missing_pk,
        )
        for resource, table in (
            ("os", "downloads_os"),
            ("release", "downloads_release"),
            ("release_file", "downloads_releasefile"),
        )
    ),
    Repro(
        "v1-set-delete",
        "user-delete-os-set",
        204,
        405,
        _os_set,
        _send("DELETE", _set_path("os"), USER_V1),
        _os_set_gone,
    ),
]


# -- the issue-18 switches: a refused (or staff) request whose damage lands on another object --
#
# Each reproduction addresses one object (a new release file, a release's detail URL, one
# file's detail URL) and checks a different one: the sibling file that held the download
# button, the release the body named by slug, the release that inherits is_latest, the file
# whose URL was swapped away. The addressed object itself is never what changes.

_versions = itertools.count(1)


def _fresh_version() -> int:
    """A release version number no other test uses, so the latest-release handover can only
    pick this test's releases (v1 stores any version number, release-api.md 1.4)."""
    return 10_000 + next(_versions)


def _release_row(
    info: TestbedInfo, *, version: int, date: str, latest: bool = False, published: bool = True
) -> int:
    pk = tbkit.plant_release(info, published=published)
    tbkit.execute(
        info,
        "UPDATE downloads_release SET version = ?, is_latest = ?, release_date = ? WHERE id = ?",
        (version, latest, date, pk),
    )
    return pk


def _button_holder(info: TestbedInfo) -> dict[str, Any]:
    """A release whose file for the seed OS holds the download button."""
    release = tbkit.plant_release(info)
    holder = tbkit.plant_release_file(info, release_id=release, download_button=True)
    return {"release": release, "holder": holder, "slug": tbkit.unique("file")}


def _button_taken(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_releasefile", ctx["holder"])
    return found is None or not found["download_button"]


def _button_file_body(download_button: bool = True, **overrides: Any) -> Body:
    def body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
        return tbkit.v1_file_body(
            ctx["slug"],
            release=tbkit.v1_uri("release", ctx["release"]),
            download_button=download_button,
            **overrides,
        )

    return body


def _v2_button_file_body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return tbkit.v2_file_body(
        info,
        ctx["slug"],
        release=tbkit.v2_url(info, "release", ctx["release"]),
        download_button=True,
    )


_V1_FILES = "/api/v1/downloads/release_file/"


def _named_release(info: TestbedInfo) -> dict[str, Any]:
    pk = tbkit.plant_release(info, published=True)
    found = tbkit.row(info, "downloads_release", pk)
    assert found is not None
    return {"pk": pk, "slug": found["slug"], "name": tbkit.unique("renamed")}


def _unknown_release_slug(info: TestbedInfo) -> dict[str, Any]:
    return {"slug": tbkit.unique("rel"), "name": tbkit.unique("made")}


def _file_naming_release(**fields: Any) -> Body:
    """A v1 file body whose ``release`` is a dict naming the release by slug, with ``fields``
    (a value ``"<name>"`` is replaced by the context's new name)."""

    def body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
        values = {k: ctx["name"] if v == "<name>" else v for k, v in fields.items()}
        return tbkit.v1_file_body(release={"slug": ctx["slug"], **values})

    return body


def _file_with_nested_release_uri(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    """The nested form HEAD already takes (release-api.md 2.6): a dict with a resource_uri."""
    nested = {"resource_uri": tbkit.v1_uri("release", ctx["pk"]), "name": ctx["name"]}
    return tbkit.v1_file_body(release=nested)


def _release_unpublished(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_release", ctx["pk"])
    return found is not None and not found["is_published"]


def _release_slug_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, "downloads_release", ctx["slug"])


def _release_family(
    addressed: str, *, draft_latest: bool = False, draft_successor: bool = False
) -> Callable[[TestbedInfo], dict[str, Any]]:
    """Three releases of a version of their own: the latest, a newer release that is not
    latest (the handover's pick: the newest other one), and an older one; ``addressed``
    names the one the request's URL points at."""

    def prepare(info: TestbedInfo) -> dict[str, Any]:
        version = _fresh_version()
        family = {
            "latest": _release_row(
                info,
                version=version,
                date="2025-06-01 00:00:00",
                latest=True,
                published=not draft_latest,
            ),
            "successor": _release_row(
                info, version=version, date="2026-01-01 00:00:00", published=not draft_successor
            ),
            "older": _release_row(info, version=version, date="2025-01-01 00:00:00"),
        }
        return {**family, "pk": family[addressed]}

    return prepare


def _successor_promoted(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_release", ctx["successor"])
    return found is None or bool(found["is_latest"])


def _two_signed_files(info: TestbedInfo) -> dict[str, Any]:
    """Files A and B, each with all five sidecars matching its own url; requests address A."""
    urls = {name: tbkit.legal_file_url() for name in ("a", "b")}
    pks = {
        name: tbkit.plant_release_file(info, url=url, **tbkit.matching_sidecars(url))
        for name, url in urls.items()
    }
    found = tbkit.row(info, "downloads_releasefile", pks["a"])
    assert found is not None
    return {
        "pk": pks["a"],
        "b": pks["b"],
        "a_url": urls["a"],
        "b_url": urls["b"],
        "a_slug": found["slug"],
        "free_url": tbkit.legal_file_url(),
    }


def _b_keeps_its_old_sidecars(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    """B now carries A's old url, but its sidecars still name B's old artifact (A's new one)."""
    found = tbkit.row(info, "downloads_releasefile", ctx["b"])
    assert found is not None
    stale = all(found[name] == f"{ctx['b_url']}{suffix}" for name, suffix in tbkit.SIDECARS.items())
    return found["url"] == ctx["a_url"] and stale


def _a_or_b_changed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    a = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    b = tbkit.row(info, "downloads_releasefile", ctx["b"])
    return a is None or b is None or a["url"] != ctx["a_url"] or b["url"] != ctx["b_url"]


def _a_moved_to_the_free_url(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    a = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    return a is not None and a["url"] == ctx["free_url"]


def _to_b_url(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return {"url": ctx["b_url"], **tbkit.matching_sidecars(ctx["b_url"])}


def _put_a_at_b_url(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return tbkit.v2_file_body(info, ctx["a_slug"], url=ctx["b_url"])


def _to_the_free_url(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return {"url": ctx["free_url"], **tbkit.matching_sidecars(ctx["free_url"])}


_V2_FILE = _detail_path("/")
_V1_RELEASE_DETAIL = _detail_path("/", "v1", "release")

ELSEWHERE_REPROS: list[Repro] = [
    Repro(
        "download-button-handover",
        "guest-post-takes-the-button",
        401,
        401,
        _button_holder,
        _send("POST", lambda ctx: _V1_FILES, None, _button_file_body()),
        _button_taken,
    ),
    Repro(
        "download-button-handover",
        "user-key-post-takes-the-button",
        401,
        401,
        _button_holder,
        _send("POST", lambda ctx: _V1_FILES, USER_V1, _button_file_body()),
        _button_taken,
    ),
    Repro(
        "nested-release-by-slug",
        "guest-post-unpublishes-the-named-release",
        401,
        401,
        _named_release,
        _send("POST", lambda ctx: _V1_FILES, None, _file_naming_release(is_published=False)),
        _release_unpublished,
    ),
    Repro(
        "nested-release-by-slug",
        "user-key-post-renames-the-named-release",
        401,
        401,
        _named_release,
        _send("POST", lambda ctx: _V1_FILES, USER_V1, _file_naming_release(name="<name>")),
        _release_renamed,
    ),
    Repro(
        "nested-release-by-slug",
        "guest-post-creates-a-release",
        401,
        401,
        _unknown_release_slug,
        _send(
            "POST",
            lambda ctx: _V1_FILES,
            None,
            _file_naming_release(name="<name>", is_published=True),
        ),
        _release_slug_created,
    ),
    Repro(
        "latest-handover-on-delete",
        "guest-delete-latest-promotes-another",
        401,
        401,
        _release_family("latest"),
        _send("DELETE", _V1_RELEASE_DETAIL, None),
        _successor_promoted,
    ),
    Repro(
        "latest-handover-on-delete",
        "user-key-delete-latest-promotes-a-draft",
        401,
        401,
        _release_family("latest", draft_successor=True),
        _send("DELETE", _V1_RELEASE_DETAIL, USER_V1),
        _successor_promoted,
    ),
    Repro(
        "url-swap-keeps-sidecars",
        "staff-patch-to-a-taken-url",
        200,
        400,
        _two_signed_files,
        _send("PATCH", _V2_FILE, STAFF_V2, _to_b_url),
        _b_keeps_its_old_sidecars,
    ),
    Repro(
        "url-swap-keeps-sidecars",
        "staff-put-to-a-taken-url",
        200,
        400,
        _two_signed_files,
        _send("PUT", _V2_FILE, STAFF_V2, _put_a_at_b_url),
        _b_keeps_its_old_sidecars,
    ),
]


# -- the issue-19 switches: one per dimension a negative attempt varies along ------------------
#
# Each is reachable only through its own dimension: a spelling of the credential's bytes, a
# framework's own body form, a row the API did not create, the moment after a valid request,
# an answer that is not a refusal, one URL field written alone, a non-staff identity reading.

# credential bytes: nfkc-credentials


def _fullwidth(text: str) -> str:
    """Printable ASCII in its fullwidth forms (U+FF01..U+FF5E), which NFKC maps back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _raw_credentials(data: str | bytes) -> dict[str, str | bytes]:
    """An ApiKey header whose credential part is sent as UTF-8 bytes (``str``) or as given."""
    raw = data.encode() if isinstance(data, str) else data
    return {"Authorization": b"ApiKey " + raw}


def _post_v1_os_raw(
    headers: dict[str, str | bytes],
) -> Callable[[TestbedInfo, dict[str, Any]], int]:
    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        return tbkit.call(
            info, "POST", "/api/v1/downloads/os/", headers=headers, json=ctx["body"]
        ).status_code

    return attempt


def _cyrillic_lookalike(key: str) -> str:
    """The key with its first a, c or e replaced by the Cyrillic letter drawn the same, which
    NFKC leaves alone (a confusable, not a compatibility character)."""
    lookalikes = {"a": "\u0430", "c": "\u0441", "e": "\u0435"}
    at = next(i for i, c in enumerate(key) if c in lookalikes)
    return key[:at] + lookalikes[key[at]] + key[at + 1 :]


# body: bulk-patch-deletes


def _victim_file_and_slug(info: TestbedInfo) -> dict[str, Any]:
    return {**_victim_file(info), "new_slug": tbkit.unique("file")}


def _deleted_objects(*, create: bool = False, with_objects: bool = True) -> Body:
    """Tastypie's list-level PATCH body: ``deleted_objects`` naming the victim file, and
    ``objects`` holding a new file if ``create``, else empty (left out if not ``with_objects``)."""

    def body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
        found: dict[str, Any] = {"deleted_objects": [tbkit.v1_uri("release_file", ctx["pk"])]}
        if with_objects:
            found["objects"] = [tbkit.v1_file_body(ctx["new_slug"])] if create else []
        return found

    return body


def _file_gone_or_new_file(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return _file_gone(info, ctx) or tbkit.slug_exists(
        info, "downloads_releasefile", ctx["new_slug"]
    )


# object provenance: creatorless-release-writable


def _release_made_through(api: str) -> Callable[[TestbedInfo], dict[str, Any]]:
    """A published release created by a staff request through ``api`` (v1 records no creator;
    v2 does, with the switch on)."""

    def prepare(info: TestbedInfo) -> dict[str, Any]:
        body = {**tbkit.release_body(), "is_published": True}
        path = f"/api/{api}/downloads/release/"
        headers = STAFF_V1 if api == "v1" else STAFF_V2
        answer = tbkit.call(info, "POST", path, headers=headers, json=body)
        assert answer.status_code == 201, (answer.status_code, answer.text[:200])
        if api == "v1":  # 201 with an empty body and a Location
            pk = tbkit.pk_from_location(answer)
        else:  # 201 with the release, whose resource_uri ends in its pk
            pk = int(answer.json()["resource_uri"].rstrip("/").rsplit("/", 1)[1])
        return {"pk": pk, "name": tbkit.unique("renamed")}

    return prepare


_V2_RELEASE_DETAIL = _detail_path("/", "v2", "release")


# moment: upload-burst-auth-cache

UPLOAD_BURST_SECONDS = 3  # as in testbed.downloads.api_v1.authentication (a Django module)
ADMIN_WRONG_KEY = {"Authorization": f"ApiKey admin:{USER.api_key}"}
EDITOR_WRONG_KEY = {"Authorization": f"ApiKey editor:{USER.api_key}"}
EDITOR_V1 = apikey(tbkit.EDITOR)
_V1_FILE_READ = "/api/v1/downloads/release_file/?limit=1"


def _in_sequence(
    *steps: Callable[[TestbedInfo, dict[str, Any]], Outcome], pause: float = 0.0
) -> Callable[[TestbedInfo, dict[str, Any]], Outcome]:
    """The steps one after another (``pause`` seconds before the last); the last one's outcome.
    The steps before the last only read, or are refused, so they write nothing themselves."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> Outcome:
        *before, last = steps
        for step in before:
            step(info, ctx)
        if pause:
            time.sleep(pause)
        return last(info, ctx)

    return attempt


def _read_files(headers: dict[str, str]) -> Callable[[TestbedInfo, dict[str, Any]], int]:
    return _send("GET", lambda ctx: _V1_FILE_READ, headers)


def _new_file_slug(info: TestbedInfo) -> dict[str, Any]:
    return {"slug": tbkit.unique("file")}


def _new_file_body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return tbkit.v1_file_body(ctx["slug"])


def _new_file_created(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.slug_exists(info, "downloads_releasefile", ctx["slug"])


_V1_FILE_DETAIL = _detail_path("/", "v1", "release_file")


# answer: upload-checked-after-save


def _new_v2_file(info: TestbedInfo) -> dict[str, Any]:
    return {"values": {"url": tbkit.legal_file_url()}}


def _v2_new_file_body(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return tbkit.v2_file_body(info, **ctx["values"])


_V2_FILES = "/api/v2/downloads/release_file/"


# URL: patch-checks-sent-urls-only


def _signed_file(info: TestbedInfo, *, signed: bool = True) -> dict[str, Any]:
    """A file whose five sidecars match its url (or with none), and a free URL to move it to."""
    url = tbkit.legal_file_url()
    sidecars = tbkit.matching_sidecars(url) if signed else {}
    pk = tbkit.plant_release_file(info, url=url, **sidecars)
    found = tbkit.row(info, "downloads_releasefile", pk)
    assert found is not None
    return {"pk": pk, "slug": found["slug"], "url": url, "new_url": tbkit.legal_file_url()}


def _unsigned_file(info: TestbedInfo) -> dict[str, Any]:
    return _signed_file(info, signed=False)


def _sidecar_rule_broken(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    """The stored row breaks the URL invariant: a sidecar that is set is not url + suffix."""
    found = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    assert found is not None
    return any(
        found[name] and found[name] != f"{found['url']}{suffix}"
        for name, suffix in tbkit.SIDECARS.items()
    )


def _urls_changed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    assert found is not None
    return found["url"] != ctx["url"] or _sidecar_rule_broken(info, ctx)


def _moved_to_the_new_url(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_releasefile", ctx["pk"])
    return found is not None and found["url"] == ctx["new_url"]


def _url_alone(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return {"url": ctx["new_url"]}


def _other_artifact_signature(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    return {"gpg_signature_file": f"{tbkit.legal_file_url()}.asc"}


# differential identity: any-key-reads-drafts


def _draft(info: TestbedInfo) -> dict[str, Any]:
    pk = tbkit.plant_release(info, published=False)
    found = tbkit.row(info, "downloads_release", pk)
    assert found is not None
    return {"pk": pk, "slug": found["slug"]}


def _read(
    path: PathOf, headers: dict[str, str] | None = None
) -> Callable[[TestbedInfo, dict[str, Any]], int]:
    """A GET whose answer is kept in the context, for ``_draft_revealed``."""

    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        answer = tbkit.call(info, "GET", path(ctx), headers=headers)
        ctx["answer"] = answer.text
        return answer.status_code

    return attempt


def _draft_revealed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    """The answer names the release, which the database says is unpublished (staff-only)."""
    found = tbkit.row(info, "downloads_release", ctx["pk"])
    assert found is not None and not found["is_published"]
    return str(found["slug"]) in ctx.get("answer", "")


DIMENSION_REPROS: list[Repro] = [
    Repro(
        "nfkc-credentials",
        "fullwidth-key",
        201,
        500,
        _new_os,
        _post_v1_os_raw(_raw_credentials("admin:" + _fullwidth(ADMIN.api_key))),
        _os_created,
    ),
    Repro(
        "nfkc-credentials",
        "fullwidth-username-colon-and-key",
        201,
        401,
        _new_os,
        _post_v1_os_raw(_raw_credentials(_fullwidth(f"admin:{ADMIN.api_key}"))),
        _os_created,
    ),
    Repro(
        "bulk-patch-deletes",
        "guest-patch-list-deleted-objects",
        202,
        405,
        _victim_file_and_slug,
        _send("PATCH", lambda ctx: _V1_FILES, None, _deleted_objects()),
        _file_gone,
    ),
    Repro(
        "bulk-patch-deletes",
        "user-key-patch-list-deleted-objects",
        202,
        405,
        _victim_file_and_slug,
        _send("PATCH", lambda ctx: _V1_FILES, USER_V1, _deleted_objects()),
        _file_gone,
    ),
    Repro(
        "creatorless-release-writable",
        "anonymous-patch-legacy-release",
        200,
        401,
        _victim_release(published=True),
        _send("PATCH", _V2_RELEASE_DETAIL, None, _rename),
        _release_renamed,
    ),
    Repro(
        "creatorless-release-writable",
        "anonymous-delete-release-made-through-v1",
        204,
        401,
        _release_made_through("v1"),
        _send("DELETE", _V2_RELEASE_DETAIL, None),
        _release_gone,
    ),
    Repro(
        "upload-burst-auth-cache",
        "wrong-key-post-right-after-a-valid-read",
        201,
        401,
        _new_file_slug,
        _in_sequence(
            _read_files(STAFF_V1),
            _send("POST", lambda ctx: _V1_FILES, ADMIN_WRONG_KEY, _new_file_body),
        ),
        _new_file_created,
    ),
    Repro(
        "upload-burst-auth-cache",
        "wrong-key-delete-right-after-a-valid-read",
        204,
        401,
        _victim_file,
        _in_sequence(_read_files(STAFF_V1), _send("DELETE", _V1_FILE_DETAIL, ADMIN_WRONG_KEY)),
        _file_gone,
    ),
    Repro(
        "upload-checked-after-save",
        "user-token-post-release-file",
        500,
        403,
        _new_v2_file,
        _send("POST", lambda ctx: _V2_FILES, USER_V2, _v2_new_file_body),
        _file_stored,
    ),
    Repro(
        "upload-checked-after-save",
        "anonymous-post-release-file",
        500,
        401,
        _new_v2_file,
        _send("POST", lambda ctx: _V2_FILES, None, _v2_new_file_body),
        _file_stored,
    ),
    Repro(
        "patch-checks-sent-urls-only",
        "staff-patch-url-alone",
        200,
        400,
        _signed_file,
        _send("PATCH", _V2_FILE, STAFF_V2, _url_alone),
        _sidecar_rule_broken,
    ),
    Repro(
        "patch-checks-sent-urls-only",
        "staff-patch-one-sidecar-alone",
        200,
        400,
        _signed_file,
        _send("PATCH", _V2_FILE, STAFF_V2, _other_artifact_signature),
        _sidecar_rule_broken,
    ),
    Repro(
        "any-key-reads-drafts",
        "user-key-reads-a-draft-detail",
        200,
        401,
        _draft,
        _read(_V1_RELEASE_DETAIL, USER_V1),
        _draft_revealed,
        reveals=True,
    ),
]


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
    *ROUTE_REPROS,
    *ELSEWHERE_REPROS,
    *DIMENSION_REPROS,
]

# Switching off every URL rule necessarily admits http:// and look-alike hosts too; switching
# off the sidecar rule everywhere switches it off for XML and YAML bodies and for PATCHes of one
# URL field too; a known username with any key at all admits the right key with a suffix, and a
# wrong key whatever came before it.
IMPLIES: dict[str, set[str]] = {
    "guest-fallthrough": {"key-extension", "upload-burst-auth-cache"},
    "no-url-constraint": {"http-urls", "lookalike-host"},
    "sidecar-mismatch": {"sidecar-check-json-only", "patch-checks-sent-urls-only"},
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


def _route_bound(
    defect: str,
    id: str,
    status: int,
    prepare: Callable[[TestbedInfo], dict[str, Any]],
    attempt: Callable[[TestbedInfo, dict[str, Any]], Outcome],
    wrote: Callable[[TestbedInfo, dict[str, Any]], bool],
    *,
    writes: bool = False,
    head_status: int | None = None,
) -> Bound:
    return Bound(defect, id, status, writes, prepare, attempt, wrote, head_status)


def _draft_and_list(info: TestbedInfo) -> dict[str, Any]:
    draft = tbkit.plant_release(info, published=False)
    found = tbkit.row(info, "downloads_release", draft)
    assert found is not None
    return {"pk": draft, "slug": found["slug"]}


def _list_without_slash_hides_drafts(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    """The slash-less list's status, or -1 if it showed a non-staff caller the draft."""
    response = tbkit.call(info, "GET", "/api/v2/downloads/release", headers=USER_V2)
    return -1 if ctx["slug"] in response.text else response.status_code


def _files_of_a_release(info: TestbedInfo) -> dict[str, Any]:
    release = tbkit.plant_release(info)
    for _ in range(2):
        tbkit.plant_release_file(info, release_id=release)
    return {"release": release}


def _files_of_the_release_gone(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    return tbkit.count(info, "downloads_releasefile", "release_id = ?", (ctx["release"],)) == 0


def _delete_by_release(suffix: str, headers: dict[str, str]) -> Any:
    def attempt(info: TestbedInfo, ctx: dict[str, Any]) -> int:
        path = f"/api/v2/downloads/release_file/delete_by_release{suffix}?release={ctx['release']}"
        return tbkit.call(info, "DELETE", path, headers=headers).status_code

    return attempt


def _victim_os_renamed(info: TestbedInfo) -> dict[str, Any]:
    pk = tbkit.plant_os(info)
    found = tbkit.row(info, "downloads_os", pk)
    assert found is not None
    return {"pk": pk, "name": tbkit.unique("renamed"), "slug": found["slug"]}


def _os_renamed(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    found = tbkit.row(info, "downloads_os", ctx["pk"])
    return found is not None and found["name"] == ctx["name"]


def _os_put_body(info: TestbedInfo, ctx: dict[str, Any]) -> dict[str, Any]:
    return {"name": ctx["name"], "slug": ctx["slug"]}


def _os_set_read(info: TestbedInfo, ctx: dict[str, Any]) -> int:
    return tbkit.call(info, "GET", _set_path("os")(ctx), headers=USER_V1).status_code


_OS_DETAIL = _detail_path("/", "v2", "os")
_V1_RELEASE = _detail_path("/", "v1", "release")
_NO_SLASH = "/api/v2/downloads/release"

ROUTE_BOUNDS: list[Bound] = [
    # v2-json-suffix-write: only release_file's <pk>.json and <pk>.json/ are weakened
    *(
        _route_bound(
            "v2-json-suffix-write",
            f"user-{method.lower()}-release-file-canonical",
            403,
            _victim_file,
            _send(method, _detail_path("/"), USER_V2, body),
            wrote,
        )
        for method, body, wrote in (
            ("PUT", _file_put_body, _file_renamed),
            ("PATCH", _rename, _file_renamed),
            ("DELETE", None, _file_gone),
        )
    ),
    _route_bound(
        "v2-json-suffix-write",
        "user-patch-os-json",
        403,
        _victim_os_renamed,
        _send("PATCH", _detail_path(".json", "v2", "os"), USER_V2, _rename),
        _os_renamed,
    ),
    _route_bound(
        "v2-json-suffix-write",
        "user-delete-release-json",
        403,
        _victim_release(published=True),
        _send("DELETE", _detail_path(".json", "v2", "release"), USER_V2),
        _release_gone,
    ),
    _route_bound(
        "v2-json-suffix-write",
        "user-post-release-file-list-json",
        403,
        _file_prepare("sidecar"),
        _send(
            "POST",
            lambda ctx: "/api/v2/downloads/release_file.json",
            USER_V2,
            lambda info, ctx: tbkit.v2_file_body(info, url=ctx["values"]["url"]),
        ),
        _file_stored,
    ),
    _route_bound(
        "v2-json-suffix-write",
        "anonymous-patch-release-file-json",
        401,
        _victim_file,
        _send("PATCH", _detail_path(".json"), None, _rename),
        _file_renamed,
    ),
    _route_bound(
        "v2-json-suffix-write",
        "user-delete-by-release-json",
        403,
        _files_of_a_release,
        _delete_by_release(".json", USER_V2),
        _files_of_the_release_gone,
    ),
    _route_bound(
        # The action's own suffix route still answers, not the numeric detail alias (which
        # would give 404): as at HEAD, the action takes no format argument, so DRF's call of
        # it fails (500) before anything is deleted.
        "v2-json-suffix-write",
        "staff-delete-by-release-json-reaches-the-action",
        500,
        _files_of_a_release,
        _delete_by_release(".json", STAFF_V2),
        _files_of_the_release_gone,
    ),
    # no-slash-create: only the slash-less release list is served
    _route_bound(
        "no-slash-create",
        "user-post-release-with-slash",
        403,
        _new_release,
        _send("POST", lambda ctx: _NO_SLASH + "/", USER_V2, _post_body),
        _release_created,
    ),
    _route_bound(
        "no-slash-create",
        "user-post-os-without-slash",
        301,
        _new_os,
        _send("POST", lambda ctx: "/api/v2/downloads/os", USER_V2, _post_body),
        _os_created,
    ),
    _route_bound(
        "no-slash-create",
        "user-post-v1-release-without-slash",
        301,
        _new_release,
        _send("POST", lambda ctx: "/api/v1/downloads/release", USER_V1, _post_body),
        _release_created,
    ),
    _route_bound(
        "no-slash-create",
        "anonymous-post-release-without-slash",
        401,
        _new_release,
        _send("POST", lambda ctx: _NO_SLASH, None, _post_body),
        _release_created,
        head_status=301,
    ),
    _route_bound(
        "no-slash-create",
        "user-list-without-slash-hides-drafts",
        200,
        _draft_and_list,
        _list_without_slash_hides_drafts,
        _release_gone,
        head_status=301,
    ),
    # v1-detail-patch: PATCH on the release detail only, and no other write opens
    _route_bound(
        "v1-detail-patch",
        "user-put-release",
        405,
        _victim_release(published=True),
        _send("PUT", _V1_RELEASE, USER_V1, _rename),
        _release_renamed,
    ),
    _route_bound(
        "v1-detail-patch",
        "user-delete-release",
        401,
        _victim_release(published=True),
        _send("DELETE", _V1_RELEASE, USER_V1),
        _release_gone,
    ),
    _route_bound(
        "v1-detail-patch",
        "user-patch-os",
        405,
        _victim_os_renamed,
        _send("PATCH", _detail_path("/", "v1", "os"), USER_V1, _rename),
        _os_renamed,
    ),
    _route_bound(
        "v1-detail-patch",
        "user-patch-release-file",
        405,
        _victim_file,
        _send("PATCH", _detail_path("/", "v1", "release_file"), USER_V1, _rename),
        _file_renamed,
    ),
    _route_bound(
        "v1-detail-patch",
        "user-patch-release-list",
        405,
        _victim_release(published=True),
        _send("PATCH", lambda ctx: "/api/v1/downloads/release/", USER_V1, _rename),
        _release_renamed,
    ),
    _route_bound(
        "v1-detail-patch",
        "guest-patch-published-release",
        401,
        _victim_release(published=True),
        _send("PATCH", _V1_RELEASE, None, _rename),
        _release_renamed,
        head_status=405,
    ),
    _route_bound(
        "v1-detail-patch",
        "wrong-key-patch-release",
        401,
        _victim_release(published=True),
        _send("PATCH", _V1_RELEASE, WRONG_KEY, _rename),
        _release_renamed,
        head_status=405,
    ),
    _route_bound(
        "v1-detail-patch",
        "user-get-draft-release",
        401,
        _victim_release(published=False),
        _send("GET", _V1_RELEASE, USER_V1),
        _release_gone,
    ),
    # put-creates: only a staff PUT to an id that does not exist, and it creates nothing else
    _route_bound(
        "put-creates",
        "user-put-missing-os",
        403,
        _missing("os", "downloads_os"),
        _send("PUT", _OS_DETAIL, USER_V2, _post_body),
        _created_at_missing_pk,
    ),
    _route_bound(
        "put-creates",
        "staff-patch-missing-os",
        404,
        _missing("os", "downloads_os"),
        _send("PATCH", _OS_DETAIL, STAFF_V2, _post_body),
        _created_at_missing_pk,
    ),
    _route_bound(
        "put-creates",
        "staff-delete-missing-os",
        404,
        _missing("os", "downloads_os"),
        _send("DELETE", _OS_DETAIL, STAFF_V2),
        _created_at_missing_pk,
    ),
    _route_bound(
        "put-creates",
        "staff-put-missing-os-invalid-body",
        400,
        _missing("os", "downloads_os"),
        _send(
            "PUT", _OS_DETAIL, STAFF_V2, lambda info, ctx: {**ctx["body"], "slug": "not a slug!"}
        ),
        _created_at_missing_pk,
        head_status=404,
    ),
    _route_bound(
        "put-creates",
        "staff-put-non-numeric-id",
        404,
        _missing("os", "downloads_os"),
        _send("PUT", lambda ctx: "/api/v2/downloads/os/abc/", STAFF_V2, _post_body),
        _created_at_missing_pk,
    ),
    _route_bound(
        "put-creates",
        "staff-put-existing-os-updates-in-place",
        200,
        _victim_os_renamed,
        _send("PUT", _OS_DETAIL, STAFF_V2, _os_put_body),
        _os_renamed,
        writes=True,
    ),
    # v1-set-delete: DELETE on os set/ only, and only with a valid key
    _route_bound(
        "v1-set-delete",
        "guest-delete-os-set",
        401,
        _os_set,
        _send("DELETE", _set_path("os"), None),
        _os_set_touched,
        head_status=405,
    ),
    _route_bound(
        "v1-set-delete",
        "wrong-key-delete-os-set",
        401,
        _os_set,
        _send("DELETE", _set_path("os"), WRONG_KEY),
        _os_set_touched,
        head_status=405,
    ),
    _route_bound(
        "v1-set-delete",
        "user-get-os-set-still-reads",
        200,
        _os_set,
        _os_set_read,
        _os_set_touched,
    ),
    *(
        _route_bound(
            "v1-set-delete",
            f"user-delete-{resource.replace('_', '-')}-set",
            405,
            _some_set(resource),
            _send("DELETE", _set_path(resource), USER_V1),
            _set_gone,
        )
        for resource in ("release", "release_file")
    ),
    _route_bound(
        "v1-set-delete",
        "user-delete-os-detail",
        401,
        _victim_os,
        _send("DELETE", _detail_path("/", "v1", "os"), USER_V1),
        _os_gone,
    ),
]

ELSEWHERE_BOUNDS: list[Bound] = [
    # download-button-handover: only a valid body that asks for the button, past authentication
    _route_bound(
        "download-button-handover",
        "guest-post-without-the-button",
        401,
        _button_holder,
        _send("POST", lambda ctx: _V1_FILES, None, _button_file_body(download_button=False)),
        _button_taken,
    ),
    _route_bound(
        "download-button-handover",
        "guest-post-breaking-the-url-rules",
        400,
        _button_holder,
        _send(
            "POST",
            lambda ctx: _V1_FILES,
            None,
            _button_file_body(url=f"https://evil.example/{tbkit.unique('f')}.tgz"),
        ),
        _button_taken,
    ),
    _route_bound(
        "download-button-handover",
        "wrong-key-post",
        401,
        _button_holder,
        _send("POST", lambda ctx: _V1_FILES, WRONG_KEY, _button_file_body()),
        _button_taken,
    ),
    _route_bound(
        "download-button-handover",
        "v2-user-post",
        403,
        _button_holder,
        _send("POST", lambda ctx: "/api/v2/downloads/release_file/", USER_V2, _v2_button_file_body),
        _button_taken,
    ),
    # nested-release-by-slug: only the {slug, ...} form, past authentication
    _route_bound(
        "nested-release-by-slug",
        "guest-post-nested-release-by-resource-uri",
        401,
        _named_release,
        _send("POST", lambda ctx: _V1_FILES, None, _file_with_nested_release_uri),
        _release_renamed,
    ),
    _route_bound(
        "nested-release-by-slug",
        "wrong-key-post-naming-a-release",
        401,
        _named_release,
        _send("POST", lambda ctx: _V1_FILES, WRONG_KEY, _file_naming_release(name="<name>")),
        _release_renamed,
    ),
    # latest-handover-on-delete: only a published latest release, past authentication
    _route_bound(
        "latest-handover-on-delete",
        "guest-delete-a-release-that-is-not-latest",
        401,
        _release_family("older"),
        _send("DELETE", _V1_RELEASE_DETAIL, None),
        _successor_promoted,
    ),
    _route_bound(
        "latest-handover-on-delete",
        "guest-delete-a-draft-latest",
        401,
        _release_family("latest", draft_latest=True),
        _send("DELETE", _V1_RELEASE_DETAIL, None),
        _successor_promoted,
    ),
    _route_bound(
        "latest-handover-on-delete",
        "wrong-key-delete-latest",
        401,
        _release_family("latest"),
        _send("DELETE", _V1_RELEASE_DETAIL, WRONG_KEY),
        _successor_promoted,
    ),
    _route_bound(
        "latest-handover-on-delete",
        "v2-user-delete-latest",
        403,
        _release_family("latest"),
        _send("DELETE", _detail_path("/", "v2", "release"), USER_V2),
        _successor_promoted,
    ),
    _route_bound(
        "latest-handover-on-delete",
        "staff-delete-latest-still-deletes",
        204,
        _release_family("latest"),
        _send("DELETE", _V1_RELEASE_DETAIL, STAFF_V1),
        _release_gone,
        writes=True,
    ),
    # url-swap-keeps-sidecars: only a staff update to a taken URL that validates against A
    _route_bound(
        "url-swap-keeps-sidecars",
        "staff-patch-to-a-free-url",
        200,
        _two_signed_files,
        _send("PATCH", _V2_FILE, STAFF_V2, _to_the_free_url),
        _a_moved_to_the_free_url,
        writes=True,
    ),
    _route_bound(
        "url-swap-keeps-sidecars",
        "staff-patch-to-a-taken-url-keeping-a-sidecars",
        400,
        _two_signed_files,
        _send("PATCH", _V2_FILE, STAFF_V2, lambda info, ctx: {"url": ctx["b_url"]}),
        _a_or_b_changed,
    ),
    _route_bound(
        "url-swap-keeps-sidecars",
        "user-patch-to-a-taken-url",
        403,
        _two_signed_files,
        _send("PATCH", _V2_FILE, USER_V2, _to_b_url),
        _a_or_b_changed,
    ),
    _route_bound(
        "url-swap-keeps-sidecars",
        "staff-post-with-a-taken-url",
        400,
        _two_signed_files,
        _send(
            "POST",
            lambda ctx: "/api/v2/downloads/release_file/",
            STAFF_V2,
            lambda info, ctx: tbkit.v2_file_body(info, url=ctx["b_url"]),
        ),
        _a_or_b_changed,
    ),
]


def _nfkc_bound(
    id: str, headers: dict[str, str | bytes], status: int = 401, head_status: int | None = None
) -> Bound:
    return _route_bound(
        "nfkc-credentials",
        id,
        status,
        _new_os,
        _post_v1_os_raw(headers),
        _os_created,
        head_status=head_status,
    )


def _put_new_url_without_sidecars(info: TestbedInfo, ctx: dict[str, Any]) -> Any:
    body = tbkit.v2_file_body(info, ctx["slug"], url=ctx["new_url"])
    return {k: v for k, v in body.items() if k not in tbkit.SIDECARS}


DIMENSION_BOUNDS: list[Bound] = [
    # nfkc-credentials: only spellings NFKC folds onto the exact key; a wrong key stays wrong
    Bound(
        "nfkc-credentials",
        "exact-key-still-writes",
        201,
        True,
        _new_os,
        _post_v1_os(lambda info: _v1_key(KEY)),
        _os_created,
    ),
    _nfkc_bound("key-in-upper-case", _raw_credentials(f"admin:{KEY.upper()}")),
    _nfkc_bound(
        "fullwidth-copy-of-a-wrong-key",
        _raw_credentials("admin:" + _fullwidth(USER.api_key)),
        head_status=500,
    ),
    _nfkc_bound(
        "cyrillic-lookalike-in-the-key",
        _raw_credentials("admin:" + _cyrillic_lookalike(KEY)),
        head_status=500,
    ),
    _nfkc_bound(
        "latin-1-byte-after-the-key",
        _raw_credentials(f"admin:{KEY}".encode() + b"\xe9"),
        head_status=500,
    ),
    _nfkc_bound("fullwidth-username-wrong-key", _raw_credentials(_fullwidth("admin") + ":x")),
    # bulk-patch-deletes: only deleted_objects with no object to create, on release_file's list
    _route_bound(
        "bulk-patch-deletes",
        "guest-patch-list-creating-a-file",
        401,
        _victim_file_and_slug,
        _send(
            "PATCH",
            lambda ctx: _V1_FILES,
            None,
            lambda info, ctx: {"objects": [tbkit.v1_file_body(ctx["new_slug"])]},
        ),
        _file_gone_or_new_file,
        head_status=405,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "guest-patch-list-creating-and-deleting",
        401,
        _victim_file_and_slug,
        _send("PATCH", lambda ctx: _V1_FILES, None, _deleted_objects(create=True)),
        _file_gone_or_new_file,
        head_status=405,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "guest-patch-list-without-objects",
        400,
        _victim_file_and_slug,
        _send("PATCH", lambda ctx: _V1_FILES, None, _deleted_objects(with_objects=False)),
        _file_gone_or_new_file,
        head_status=405,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "wrong-key-patch-list-deleted-objects",
        401,
        _victim_file_and_slug,
        _send("PATCH", lambda ctx: _V1_FILES, WRONG_KEY, _deleted_objects()),
        _file_gone,
        head_status=405,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "guest-put-list-deleted-objects",
        405,
        _victim_file_and_slug,
        _send("PUT", lambda ctx: _V1_FILES, None, _deleted_objects()),
        _file_gone,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "guest-delete-the-file",
        401,
        _victim_file,
        _send("DELETE", _V1_FILE_DETAIL, None),
        _file_gone,
    ),
    _route_bound(
        "bulk-patch-deletes",
        "guest-patch-os-list-deleted-objects",
        405,
        _victim_os,
        _send(
            "PATCH",
            lambda ctx: "/api/v1/downloads/os/",
            None,
            lambda info, ctx: {"objects": [], "deleted_objects": [tbkit.v1_uri("os", ctx["pk"])]},
        ),
        _os_gone,
    ),
    # creatorless-release-writable: only releases v2 did not create, and only for anonymous
    _route_bound(
        "creatorless-release-writable",
        "anonymous-patch-release-made-through-v2",
        401,
        _release_made_through("v2"),
        _send("PATCH", _V2_RELEASE_DETAIL, None, _rename),
        _release_renamed,
    ),
    _route_bound(
        "creatorless-release-writable",
        "user-token-patch-legacy-release",
        403,
        _victim_release(published=True),
        _send("PATCH", _V2_RELEASE_DETAIL, USER_V2, _rename),
        _release_renamed,
    ),
    _route_bound(
        "creatorless-release-writable",
        "wrong-token-patch-legacy-release",
        401,
        _victim_release(published=True),
        _send("PATCH", _V2_RELEASE_DETAIL, {"Authorization": "Token " + "0" * 40}, _rename),
        _release_renamed,
    ),
    _route_bound(
        # The draft is hidden from a non-staff caller, so the object rule never sees it.
        "creatorless-release-writable",
        "anonymous-patch-legacy-draft",
        404,
        _victim_release(published=False),
        _send("PATCH", _V2_RELEASE_DETAIL, None, _rename),
        _release_renamed,
        head_status=401,
    ),
    _route_bound(
        "creatorless-release-writable",
        "anonymous-post-release",
        401,
        _new_release,
        _send("POST", lambda ctx: "/api/v2/downloads/release/", None, _post_body),
        _release_created,
    ),
    _route_bound(
        "creatorless-release-writable",
        "anonymous-patch-legacy-os",
        401,
        _victim_os_renamed,
        _send("PATCH", _OS_DETAIL, None, _rename),
        _os_renamed,
    ),
    _route_bound(
        "creatorless-release-writable",
        "anonymous-patch-legacy-release-file",
        401,
        _victim_file,
        _send("PATCH", _V2_FILE, None, _rename),
        _file_renamed,
    ),
    # upload-burst-auth-cache: only the same username, on release_file, within the window.
    # (editor's bounds run in this order: the last two leave editor remembered, the last one
    # waits the window out.)
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-without-a-valid-request-first",
        401,
        _new_file_slug,
        _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
        _new_file_created,
    ),
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-right-after-a-failed-one",
        401,
        _new_file_slug,
        _in_sequence(
            _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
            _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
        ),
        _new_file_created,
    ),
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-right-after-another-user-read",
        401,
        _new_file_slug,
        _in_sequence(
            _read_files(USER_V1),
            _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
        ),
        _new_file_created,
    ),
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-right-after-a-read-of-another-resource",
        401,
        _new_file_slug,
        _in_sequence(
            _send("GET", lambda ctx: "/api/v1/downloads/os/", EDITOR_V1),
            _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
        ),
        _new_file_created,
    ),
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-to-another-resource-right-after-a-valid-read",
        401,
        _new_os,
        _in_sequence(
            _read_files(EDITOR_V1),
            _post_v1_os(lambda info: EDITOR_WRONG_KEY),
        ),
        _os_created,
    ),
    _route_bound(
        "upload-burst-auth-cache",
        "wrong-key-post-after-the-window",
        401,
        _new_file_slug,
        _in_sequence(
            _read_files(EDITOR_V1),
            _send("POST", lambda ctx: _V1_FILES, EDITOR_WRONG_KEY, _new_file_body),
            pause=UPLOAD_BURST_SECONDS + 0.5,
        ),
        _new_file_created,
    ),
    # upload-checked-after-save: only v2 release-file creates that pass validation
    _route_bound(
        "upload-checked-after-save",
        "user-token-post-breaking-the-url-rule",
        400,
        _file_prepare("foreign"),
        _send("POST", lambda ctx: _V2_FILES, USER_V2, _v2_new_file_body),
        _file_stored,
        head_status=403,
    ),
    _route_bound(
        "upload-checked-after-save",
        "user-token-patch-release-file",
        403,
        _victim_file,
        _send("PATCH", _V2_FILE, USER_V2, _rename),
        _file_renamed,
    ),
    _route_bound(
        "upload-checked-after-save",
        "user-token-delete-release-file",
        403,
        _victim_file,
        _send("DELETE", _V2_FILE, USER_V2),
        _file_gone,
    ),
    _route_bound(
        "upload-checked-after-save",
        "user-token-delete-by-release",
        403,
        _files_of_a_release,
        _delete_by_release("/", USER_V2),
        _files_of_the_release_gone,
    ),
    _route_bound(
        "upload-checked-after-save",
        "user-token-post-os",
        403,
        _new_os,
        _post_v2_os(lambda info: USER_V2),
        _os_created,
    ),
    _route_bound(
        "upload-checked-after-save",
        "staff-post-release-file-still-creates",
        201,
        _new_v2_file,
        _send("POST", lambda ctx: _V2_FILES, STAFF_V2, _v2_new_file_body),
        _file_stored,
        writes=True,
    ),
    # patch-checks-sent-urls-only: sent fields are still checked, alone and against each other
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-patch-url-with-the-old-sidecars",
        400,
        _signed_file,
        _send(
            "PATCH",
            _V2_FILE,
            STAFF_V2,
            lambda info, ctx: {"url": ctx["new_url"], **tbkit.matching_sidecars(ctx["url"])},
        ),
        _urls_changed,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-patch-a-sidecar-alone-off-python-org",
        400,
        _signed_file,
        _send(
            "PATCH",
            _V2_FILE,
            STAFF_V2,
            lambda info, ctx: {"gpg_signature_file": f"https://evil.example/{ctx['slug']}.asc"},
        ),
        _urls_changed,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-patch-url-alone-off-python-org",
        400,
        _signed_file,
        _send(
            "PATCH",
            _V2_FILE,
            STAFF_V2,
            lambda info, ctx: {"url": f"https://evil.example/{ctx['slug']}.tgz"},
        ),
        _urls_changed,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-put-a-new-url-without-sidecars",
        400,
        _signed_file,
        _send("PUT", _V2_FILE, STAFF_V2, _put_new_url_without_sidecars),
        _urls_changed,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-patch-url-with-matching-sidecars",
        200,
        _signed_file,
        _send(
            "PATCH",
            _V2_FILE,
            STAFF_V2,
            lambda info, ctx: {"url": ctx["new_url"], **tbkit.matching_sidecars(ctx["new_url"])},
        ),
        _moved_to_the_new_url,
        writes=True,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "staff-patch-url-alone-of-an-unsigned-file",
        200,
        _unsigned_file,
        _send("PATCH", _V2_FILE, STAFF_V2, _url_alone),
        _moved_to_the_new_url,
        writes=True,
    ),
    _route_bound(
        "patch-checks-sent-urls-only",
        "user-token-patch-url-alone",
        403,
        _signed_file,
        _send("PATCH", _V2_FILE, USER_V2, _url_alone),
        _urls_changed,
    ),
    # any-key-reads-drafts: only a valid key, and only the release detail
    _route_bound(
        "any-key-reads-drafts",
        "guest-reads-a-draft-detail",
        401,
        _draft,
        _read(_V1_RELEASE_DETAIL),
        _draft_revealed,
    ),
    _route_bound(
        "any-key-reads-drafts",
        "wrong-key-reads-a-draft-detail",
        401,
        _draft,
        _read(_V1_RELEASE_DETAIL, WRONG_KEY),
        _draft_revealed,
    ),
    _route_bound(
        "any-key-reads-drafts",
        "inactive-key-reads-a-draft-detail",
        401,
        _draft,
        _read(_V1_RELEASE_DETAIL, apikey(RETIRED)),
        _draft_revealed,
    ),
    _route_bound(
        "any-key-reads-drafts",
        "user-key-lists-the-draft-by-slug",
        200,
        _draft,
        _read(lambda ctx: f"/api/v1/downloads/release/?slug={ctx['slug']}", USER_V1),
        _draft_revealed,
    ),
    _route_bound(
        "any-key-reads-drafts",
        "user-key-reads-the-draft-in-a-set",
        200,
        _draft,
        _read(lambda ctx: f"/api/v1/downloads/release/set/{ctx['pk']}/", USER_V1),
        _draft_revealed,
    ),
    _route_bound(
        "any-key-reads-drafts",
        "user-token-reads-the-v2-draft-detail",
        404,
        _draft,
        _read(_V2_RELEASE_DETAIL, USER_V2),
        _draft_revealed,
    ),
]


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
    *ROUTE_BOUNDS,
    *ELSEWHERE_BOUNDS,
    *DIMENSION_BOUNDS,
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
    if repro.reveals:
        assert wrote, f"{repro} on {sorted(info.defects)}: {outcome} but nothing revealed"
        assert not changed, f"{repro} on {sorted(info.defects)}: a read changed the database"
        return
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
        reproduced = (repro.on, True, not repro.reveals)
        expected = reproduced if repro.defect in implied else (repro.off, False, False)
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
