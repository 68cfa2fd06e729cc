"""Shared helpers for the testbed's own tests (imported by the test modules and conftest).

Kept in a plain module, not in conftest.py, because parametrize tables are built at import
time. The name is deliberately unusual so it cannot shadow another test directory's helper.

Everything that checks whether a write happened reads the scratch database directly
(``info.direct``, one kept connection per testbed), never through the API under test.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import requests
import yaml

from testbed.principals import ACCOUNTS, Account
from testbed.runner import Testbed, TestbedInfo

ACCOUNT: dict[str, Account] = {a.name: a for a in ACCOUNTS}
ADMIN = ACCOUNT["admin"]  # staff + superuser
EDITOR = ACCOUNT["editor"]  # staff
USER = ACCOUNT["user"]  # not staff
RETIRED = ACCOUNT["retired"]  # inactive staff

# A staff user planted with raw SQL, so no signal gave it an ApiKey or a Token (2.2 row 12).
KEYLESS_STAFF = "keyless-staff"

SNAPSHOT_TABLES = ("downloads_os", "downloads_release", "downloads_releasefile")
SEED_OS = 1
SEED_RELEASE = 1
SEED_DRAFT_RELEASE = 2
SEED_FILE = 1

ALLOWED = "https://www.python.org/"
SIDECARS = {
    "gpg_signature_file": ".asc",
    "sigstore_signature_file": ".sig",
    "sigstore_cert_file": ".crt",
    "sigstore_bundle_file": ".sigstore",
    "sbom_spdx2_file": ".spdx.json",
}
URL_FIELDS = ("url", *SIDECARS)

TIMEOUT = 30


# --------------------------------------------------------------------------------------------
# unique names
# --------------------------------------------------------------------------------------------

_counter = itertools.count()


def unique(prefix: str = "t") -> str:
    """A slug no other test (or xdist worker) will ever use."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


def legal_file_url(stem: str | None = None) -> str:
    return f"{ALLOWED}ftp/python/authfuzz/{stem or unique('f')}.tgz"


def matching_sidecars(url: str) -> dict[str, str]:
    return {name: f"{url}{suffix}" for name, suffix in SIDECARS.items()}


# --------------------------------------------------------------------------------------------
# credentials
# --------------------------------------------------------------------------------------------


def apikey(account: Account, scheme: str = "ApiKey") -> dict[str, str]:
    return {"Authorization": f"{scheme} {account.username}:{account.api_key}"}


def token(account: Account, scheme: str = "Token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {account.token}"}


def basic(account: Account) -> dict[str, str]:
    raw = f"{account.username}:{account.password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


_sessions: dict[str, str] = {}


def login_session(info: TestbedInfo, account: Account = ADMIN) -> str:
    """Log in through the Django admin form and return the ``sessionid`` cookie value."""
    key = f"{info.database.name}|{account.username}"  # a port may be reused, a scratch DB not
    if key not in _sessions:
        with requests.Session() as browser:
            browser.trust_env = False
            page = browser.get(f"{info.base_url}/admin/login/", timeout=TIMEOUT)
            assert page.status_code == 200, page.status_code
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert match, "no CSRF token on the admin login form"
            answer = browser.post(
                f"{info.base_url}/admin/login/",
                data={
                    "username": account.username,
                    "password": account.password,
                    "csrfmiddlewaretoken": match.group(1),
                    "next": "/admin/",
                },
                allow_redirects=False,
                timeout=TIMEOUT,
            )
            assert answer.status_code == 302, (answer.status_code, answer.text[:300])
            session = browser.cookies.get("sessionid")
            assert session, "the admin login set no sessionid cookie"
        _sessions[key] = session
    return _sessions[key]


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


def call(
    info: TestbedInfo,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str | bytes] | None = None,
    cookies: dict[str, str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One request: no redirects followed, no cookie jar carried over, no proxy or .netrc.

    A header value may be bytes, sent as they are (a credential in UTF-8, say).
    """
    with requests.Session() as http:
        http.trust_env = False
        return http.request(
            method,
            info.base_url + path,
            headers=dict(headers or {}),
            cookies=cookies or {},
            allow_redirects=False,
            timeout=TIMEOUT,
            **kwargs,
        )


def v1_uri(resource: str, pk: int) -> str:
    return f"/api/v1/downloads/{resource}/{pk}/"


def v2_url(info: TestbedInfo, resource: str, pk: int) -> str:
    return f"{info.base_url}/api/v2/downloads/{resource}/{pk}/"


def pk_from_location(response: requests.Response) -> int:
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# --------------------------------------------------------------------------------------------
# the database, read and written directly
# --------------------------------------------------------------------------------------------

TIMESTAMP = "2026-01-01 00:00:00"


def _sql(info: TestbedInfo, statement: str) -> str:
    return statement.replace("?", "%s") if info.database.engine == "postgresql" else statement


def query(info: TestbedInfo, statement: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement in its own transaction and return its rows.

    On an error the transaction is rolled back and the cursor closed before the error
    propagates: a traceback kept by ``pytest.raises`` would otherwise keep an unfinished
    SQLite statement, and with it the write lock, alive.
    """
    with info.direct.transaction() as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(_sql(info, statement), tuple(params))
            rows = cursor.fetchall() if cursor.description else []
        except BaseException:
            cursor.close()
            conn.rollback()
            raise
        cursor.close()
        return [tuple(row) for row in rows]


def execute(info: TestbedInfo, statement: str, params: Iterable[Any] = ()) -> None:
    query(info, statement, params)


def snapshot(info: TestbedInfo) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three downloads tables, in id order."""
    with info.direct.transaction() as conn:
        cursor = conn.cursor()
        result = {}
        for table in SNAPSHOT_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            result[table] = [tuple(row) for row in cursor.fetchall()]
        return result


def insert(info: TestbedInfo, table: str, values: dict[str, Any]) -> int:
    """A raw INSERT (no Django, no API, no clean()); returns the new id."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    rows = query(
        info, f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", values.values()
    )
    return int(rows[0][0])


def plant_os(info: TestbedInfo, slug: str | None = None) -> int:
    slug = slug or unique("os")
    return insert(
        info,
        "downloads_os",
        {"name": f"OS {slug}", "slug": slug, "created": TIMESTAMP, "updated": TIMESTAMP},
    )


def plant_release(info: TestbedInfo, slug: str | None = None, published: bool = True) -> int:
    slug = slug or unique("rel")
    return insert(
        info,
        "downloads_release",
        {
            "name": f"Release {slug}",
            "slug": slug,
            "created": TIMESTAMP,
            "updated": TIMESTAMP,
            "version": 3,
            "is_latest": False,
            "is_published": published,
            "pre_release": False,
            "show_on_download_page": True,
            "release_date": TIMESTAMP,
            "release_notes_url": "",
        },
    )


def release_file_row(**overrides: Any) -> dict[str, Any]:
    slug = overrides.pop("slug", None) or unique("file")
    url = overrides.pop("url", None)
    if url is None:
        url = legal_file_url(slug)
    row: dict[str, Any] = {
        "name": f"File {slug}",
        "slug": slug,
        "created": TIMESTAMP,
        "updated": TIMESTAMP,
        "description": "",
        "is_source": False,
        "url": url,
        **dict.fromkeys(SIDECARS, ""),
        "md5_sum": "",
        "sha256_sum": "",
        "filesize": 0,
        "download_button": False,
        "os_id": SEED_OS,
        "release_id": SEED_RELEASE,
    }
    row.update(overrides)
    return row


def plant_release_file(info: TestbedInfo, **overrides: Any) -> int:
    return insert(info, "downloads_releasefile", release_file_row(**overrides))


def row(info: TestbedInfo, table: str, pk: int) -> dict[str, Any] | None:
    with info.direct.transaction() as conn:
        cursor = conn.cursor()
        cursor.execute(_sql(info, f"SELECT * FROM {table} WHERE id = ?"), (pk,))
        found = cursor.fetchone()
        if found is None:
            return None
        return dict(zip([d[0] for d in cursor.description], found, strict=True))


def count(info: TestbedInfo, table: str, where: str = "1=1", params: Iterable[Any] = ()) -> int:
    return int(query(info, f"SELECT COUNT(*) FROM {table} WHERE {where}", params)[0][0])


def slug_exists(info: TestbedInfo, table: str, slug: str) -> bool:
    return count(info, table, "slug = ?", (slug,)) > 0


def url_exists(info: TestbedInfo, url: str) -> bool:
    return count(info, "downloads_releasefile", "url = ?", (url,)) > 0


def ensure_keyless_staff(info: TestbedInfo) -> None:
    """Plant a staff user with neither an ApiKey nor a Token row (raw SQL skips the signal)."""
    if count(info, "auth_user", "username = ?", (KEYLESS_STAFF,)):
        return
    insert(
        info,
        "auth_user",
        {
            "password": "!",
            "is_superuser": False,
            "username": KEYLESS_STAFF,
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_staff": True,
            "is_active": True,
            "date_joined": TIMESTAMP,
        },
    )


def integrity_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    import psycopg

    return (sqlite3.IntegrityError, psycopg.IntegrityError)


# --------------------------------------------------------------------------------------------
# valid bodies
# --------------------------------------------------------------------------------------------


def os_body(slug: str | None = None) -> dict[str, Any]:
    slug = slug or unique("os")
    return {"name": f"OS {slug}", "slug": slug}


def release_body(slug: str | None = None) -> dict[str, Any]:
    slug = slug or unique("rel")
    return {"name": f"Release {slug}", "slug": slug, "version": 3, "is_published": False}


def v1_file_body(slug: str | None = None, **overrides: Any) -> dict[str, Any]:
    slug = slug or unique("file")
    url = overrides.pop("url", None) or legal_file_url(slug)
    body = {
        "name": f"File {slug}",
        "slug": slug,
        "os": v1_uri("os", SEED_OS),
        "release": v1_uri("release", SEED_RELEASE),
        "url": url,
        **matching_sidecars(url),
    }
    body.update(overrides)
    return body


def v2_file_body(info: TestbedInfo, slug: str | None = None, **overrides: Any) -> dict[str, Any]:
    slug = slug or unique("file")
    url = overrides.pop("url", None) or legal_file_url(slug)
    body = {
        "name": f"File {slug}",
        "slug": slug,
        "os": v2_url(info, "os", SEED_OS),
        "release": v2_url(info, "release", SEED_RELEASE),
        "url": url,
        **matching_sidecars(url),
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------------------------
# v1 body formats other than JSON (Tastypie's XML and YAML deserializers)
# --------------------------------------------------------------------------------------------

XML = "application/xml"
YAML = "text/yaml"  # the only YAML type Tastypie 0.15 takes; application/x-yaml gets 415


def _xml_value(name: str, value: Any) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return f'<{name} type="boolean">{value}</{name}>'
    if isinstance(value, int):
        return f'<{name} type="integer">{value}</{name}>'
    return f"<{name}>{escape(str(value))}</{name}>"


def xml_body(body: dict[str, Any]) -> str:
    """A flat body as Tastypie's XML deserializer reads it.

    Empty strings are left out: an empty element reads as None, which the NOT NULL text
    columns refuse, while a missing field gets the model's "" default.
    """
    elements = "".join(_xml_value(k, v) for k, v in body.items() if v != "")
    return f"<?xml version='1.0' encoding='utf-8'?>\n<object>{elements}</object>"


def yaml_body(body: dict[str, Any]) -> str:
    return yaml.safe_dump(body, sort_keys=False)


def formatted(body: dict[str, Any], content_type: str) -> str:
    if content_type == XML:
        return xml_body(body)
    if content_type == YAML:
        return yaml_body(body)
    raise AssertionError(content_type)


# --------------------------------------------------------------------------------------------
# a pool of running testbeds
# --------------------------------------------------------------------------------------------


@dataclass
class TestbedPool:
    """Running testbeds keyed by (defect set, throttle); started on first use, stopped on close."""

    __test__ = False

    _running: dict[tuple[frozenset[str], bool], Testbed] = field(default_factory=dict)

    @staticmethod
    def _key(defects: Iterable[str], throttle: bool) -> tuple[frozenset[str], bool]:
        from testbed.defects import parse_defects

        return parse_defects(list(defects)), throttle

    def get(self, defects: Iterable[str] = (), *, throttle: bool = False) -> TestbedInfo:
        key = self._key(defects, throttle)
        if key not in self._running:
            bed = Testbed(defects=sorted(key[0]), throttle=throttle)
            bed.start()
            self._running[key] = bed
        info = self._running[key].info
        assert info is not None
        return info

    def stop(self, defects: Iterable[str] = (), *, throttle: bool = False) -> None:
        bed = self._running.pop(self._key(defects, throttle), None)
        if bed is not None:
            bed.stop()

    def close(self) -> None:
        while self._running:
            _, bed = self._running.popitem()
            bed.stop()
