"""Release-file URL rules (release-api.md section 3) on every write path of the clean testbed.

- ``clean()`` rules through the APIs: a foreign host, a look-alike host, ``http://``, a host in
  the wrong case, and a sidecar that is not ``url`` + suffix are refused with 400 on v1 POST
  (``{"downloads/release_file": {...}}``) and v2 POST / PUT / PATCH (``{field: [...]}``),
  and nothing is written.
- The CheckConstraint ``only_python_dot_org_urls``: a raw SQL INSERT or UPDATE that bypasses
  the API is refused by the database itself, as a case-sensitive prefix test.
- Legal values are accepted, and an unchanged legacy ``http://www.python.org/`` value survives
  a v2 edit of another field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests
import tbkit
from tbkit import ADMIN, ALLOWED, SIDECARS, URL_FIELDS, apikey, token

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

HTTPS_ERROR = "Release file URLs must begin with 'https://www.python.org/'."
CONSTRAINT = "only_python_dot_org_urls"


def sidecar_error(suffix: str) -> str:
    return f"Sidecar URL must match the artifact URL plus '{suffix}'."


# A bad artifact URL for a stem, by kind.
BAD_BASES: dict[str, Callable[[str], str]] = {
    "foreign-host": lambda stem: f"https://evil.example/{stem}.tgz",
    "lookalike-host": lambda stem: f"https://www.python.org.evil.example/{stem}.tgz",
    "http-scheme": lambda stem: f"http://www.python.org/ftp/python/{stem}.tgz",
    "upper-case-host": lambda stem: f"https://WWW.PYTHON.ORG/ftp/python/{stem}.tgz",
}


@dataclass(frozen=True)
class BadCase:
    id: str
    values: Callable[[str], dict[str, str]]  # stem -> the six URL fields
    errors: dict[str, list[str]]  # the expected per-field errors


def _bad_case(kind: str, field: str) -> BadCase:
    bad = BAD_BASES[kind]
    if field == "url":
        return BadCase(
            f"{kind}-in-url",
            lambda stem: {**dict.fromkeys(SIDECARS, ""), "url": bad(stem)},
            {"url": [HTTPS_ERROR]},
        )
    suffix = SIDECARS[field]
    return BadCase(
        f"{kind}-in-{field}",
        lambda stem: {
            **dict.fromkeys(SIDECARS, ""),
            "url": tbkit.legal_file_url(stem),
            field: bad(stem) + suffix,
        },
        {field: [HTTPS_ERROR, sidecar_error(suffix)]},
    )


def _mismatch_case(field: str, how: str) -> BadCase:
    suffix = SIDECARS[field]

    def values(stem: str) -> dict[str, str]:
        url = tbkit.legal_file_url(stem)
        if how == "other-artifact":
            sidecar = f"{ALLOWED}ftp/python/other-{stem}.tgz{suffix}"
        elif how == "query-not-repeated":
            url, sidecar = f"{url}?mirror=1", f"{url}{suffix}"
        else:  # case-differs
            sidecar = f"{url[:-4]}.TGZ{suffix}"
        return {**dict.fromkeys(SIDECARS, ""), "url": url, field: sidecar}

    return BadCase(f"sidecar-{how}-in-{field}", values, {field: [sidecar_error(suffix)]})


BAD_CASES = [
    *(_bad_case(kind, field) for kind in BAD_BASES for field in URL_FIELDS),
    *(_mismatch_case(field, "other-artifact") for field in SIDECARS),
    _mismatch_case("gpg_signature_file", "query-not-repeated"),
    _mismatch_case("sbom_spdx2_file", "case-differs"),
]


# --------------------------------------------------------------------------------------------
# the write paths
# --------------------------------------------------------------------------------------------


def _file_path(pk: int) -> str:
    return f"/api/v2/downloads/release_file/{pk}/"


@dataclass(frozen=True)
class WritePath:
    """prepare(info) -> target pk or None; send(info, target, stem, values) -> response."""

    prepare: Callable[[TestbedInfo], int | None]
    send: Callable[[TestbedInfo, int | None, str, dict[str, str]], requests.Response]
    envelope: Callable[[dict[str, list[str]]], Any]


def _nothing(info: TestbedInfo) -> None:
    return None


def _existing(info: TestbedInfo) -> int:
    """A stored row with a legal url and no sidecars, to be edited."""
    return tbkit.plant_release_file(info)


def _v1_post(
    info: TestbedInfo, pk: int | None, stem: str, values: dict[str, str]
) -> requests.Response:
    body = tbkit.v1_file_body(stem, **values)
    return tbkit.call(
        info, "POST", "/api/v1/downloads/release_file/", headers=apikey(ADMIN), json=body
    )


def _v2_post(
    info: TestbedInfo, pk: int | None, stem: str, values: dict[str, str]
) -> requests.Response:
    body = tbkit.v2_file_body(info, stem, **values)
    return tbkit.call(
        info, "POST", "/api/v2/downloads/release_file/", headers=token(ADMIN), json=body
    )


def _v2_put(
    info: TestbedInfo, pk: int | None, stem: str, values: dict[str, str]
) -> requests.Response:
    assert pk is not None
    body = tbkit.v2_file_body(info, stem, **values)
    return tbkit.call(info, "PUT", _file_path(pk), headers=token(ADMIN), json=body)


def _v2_patch(
    info: TestbedInfo, pk: int | None, stem: str, values: dict[str, str]
) -> requests.Response:
    assert pk is not None
    return tbkit.call(info, "PATCH", _file_path(pk), headers=token(ADMIN), json=values)


WRITE_PATHS = {
    "v1-post": WritePath(_nothing, _v1_post, lambda errors: {"downloads/release_file": errors}),
    "v2-post": WritePath(_nothing, _v2_post, lambda errors: errors),
    "v2-put": WritePath(_existing, _v2_put, lambda errors: errors),
    "v2-patch": WritePath(_existing, _v2_patch, lambda errors: errors),
}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
@pytest.mark.parametrize("case", BAD_CASES, ids=[c.id for c in BAD_CASES])
def test_bad_url_is_refused_with_400_and_writes_nothing(
    testbed: TestbedInfo, case: BadCase, path: str
) -> None:
    write = WRITE_PATHS[path]
    stem = tbkit.unique("bad")
    values = case.values(stem)
    target = write.prepare(testbed)
    before = tbkit.snapshot(testbed)
    response = write.send(testbed, target, stem, values)
    assert response.status_code == 400, response.text[:500]
    assert response.json() == write.envelope(case.errors)
    assert tbkit.snapshot(testbed) == before


# --------------------------------------------------------------------------------------------
# legal values
# --------------------------------------------------------------------------------------------


def _stored_urls(info: TestbedInfo, pk: int) -> dict[str, str]:
    found = tbkit.row(info, "downloads_releasefile", pk)
    assert found is not None
    return {field: found[field] for field in URL_FIELDS}


LEGAL = {
    "all-sidecars": lambda stem: {
        "url": tbkit.legal_file_url(stem),
        **tbkit.matching_sidecars(tbkit.legal_file_url(stem)),
    },
    "no-sidecars": lambda stem: {"url": tbkit.legal_file_url(stem), **dict.fromkeys(SIDECARS, "")},
    "query-repeated-in-sidecar": lambda stem: {
        "url": tbkit.legal_file_url(stem) + "?mirror=1",
        **dict.fromkeys(SIDECARS, ""),
        "gpg_signature_file": tbkit.legal_file_url(stem) + "?mirror=1.asc",
    },
}


@pytest.mark.parametrize("legal", list(LEGAL))
@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_legal_urls_are_accepted(testbed: TestbedInfo, path: str, legal: str) -> None:
    write = WRITE_PATHS[path]
    stem = tbkit.unique("ok")
    values = LEGAL[legal](stem)
    response = write.send(testbed, write.prepare(testbed), stem, values)
    assert response.status_code in (200, 201), response.text[:500]
    (pk,) = tbkit.query(
        testbed, "SELECT id FROM downloads_releasefile WHERE url = ?", [values["url"]]
    )[0]
    assert _stored_urls(testbed, pk) == values


# --------------------------------------------------------------------------------------------
# old rows
# --------------------------------------------------------------------------------------------


def _legacy_row(info: TestbedInfo) -> tuple[int, dict[str, str]]:
    url = f"http://www.python.org/ftp/python/{tbkit.unique('legacy')}.tgz"
    values = {**dict.fromkeys(SIDECARS, ""), "url": url, "gpg_signature_file": f"{url}.asc"}
    return tbkit.plant_release_file(info, **values), values


def test_legacy_http_value_survives_a_v2_patch_of_another_field(testbed: TestbedInfo) -> None:
    pk, values = _legacy_row(testbed)
    response = tbkit.call(
        testbed, "PATCH", _file_path(pk), headers=token(ADMIN), json={"description": "edited"}
    )
    assert response.status_code == 200, response.text[:500]
    stored = tbkit.row(testbed, "downloads_releasefile", pk)
    assert stored is not None and stored["description"] == "edited"
    assert _stored_urls(testbed, pk) == values


def test_legacy_http_value_survives_a_v2_put_that_repeats_it(testbed: TestbedInfo) -> None:
    pk, values = _legacy_row(testbed)
    body = tbkit.v2_file_body(testbed, tbkit.unique("legacy"), **values, description="put")
    response = tbkit.call(testbed, "PUT", _file_path(pk), headers=token(ADMIN), json=body)
    assert response.status_code == 200, response.text[:500]
    assert _stored_urls(testbed, pk) == values


def test_legacy_http_value_cannot_change_to_another_http_value(testbed: TestbedInfo) -> None:
    pk, _ = _legacy_row(testbed)
    new_url = f"http://www.python.org/ftp/python/{tbkit.unique('legacy')}.tgz"
    before = tbkit.snapshot(testbed)
    response = tbkit.call(
        testbed,
        "PATCH",
        _file_path(pk),
        headers=token(ADMIN),
        json={"url": new_url, "gpg_signature_file": f"{new_url}.asc"},
    )
    assert response.status_code == 400
    assert response.json() == {"url": [HTTPS_ERROR], "gpg_signature_file": [HTTPS_ERROR]}
    assert tbkit.snapshot(testbed) == before


def test_stored_sidecar_mismatch_has_no_exemption(testbed: TestbedInfo) -> None:
    """3.3 / 7 #9: a stored row whose sidecar does not match fails on any v2 edit."""
    url = tbkit.legal_file_url()
    pk = tbkit.plant_release_file(
        testbed, url=url, gpg_signature_file=f"{ALLOWED}ftp/other.tgz.asc"
    )
    before = tbkit.snapshot(testbed)
    response = tbkit.call(
        testbed, "PATCH", _file_path(pk), headers=token(ADMIN), json={"description": "edited"}
    )
    assert response.status_code == 400
    assert response.json() == {"gpg_signature_file": [sidecar_error(".asc")]}
    assert tbkit.snapshot(testbed) == before


def test_changing_only_url_fails_on_the_sidecars(testbed: TestbedInfo) -> None:
    url = tbkit.legal_file_url()
    pk = tbkit.plant_release_file(testbed, url=url, **tbkit.matching_sidecars(url))
    before = tbkit.snapshot(testbed)
    response = tbkit.call(
        testbed, "PATCH", _file_path(pk), headers=token(ADMIN), json={"url": tbkit.legal_file_url()}
    )
    assert response.status_code == 400
    assert response.json() == {field: [sidecar_error(suffix)] for field, suffix in SIDECARS.items()}
    assert tbkit.snapshot(testbed) == before


# --------------------------------------------------------------------------------------------
# the database constraint, bypassing the API
# --------------------------------------------------------------------------------------------

DB_REFUSED = {
    "foreign-host": "https://evil.example/x.tgz",
    "lookalike-host": "https://www.python.org.evil.example/x.tgz",
    "upper-case-host": "https://WWW.PYTHON.ORG/x.tgz",
    "upper-case-scheme": "HTTPS://www.python.org/x.tgz",
    "no-slash-after-host": "https://www.python.orgx.tgz",
    "relative": "/ftp/python/x.tgz",
}
DB_ACCEPTED = {
    "https": "https://www.python.org/",
    "legacy-http": "http://www.python.org/",
}


def _value(base: str, field: str, stem: str) -> str:
    return f"{base}{stem}{SIDECARS.get(field, '.tgz')}" if base.endswith("/") else f"{base}-{stem}"


@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("kind", list(DB_REFUSED))
def test_raw_insert_with_a_foreign_url_is_refused_by_the_constraint(
    testbed: TestbedInfo, kind: str, field: str
) -> None:
    value = _value(DB_REFUSED[kind], field, tbkit.unique("raw"))
    before = tbkit.snapshot(testbed)
    with pytest.raises(tbkit.integrity_errors()) as error:
        tbkit.plant_release_file(testbed, **{field: value})
    assert CONSTRAINT in str(error.value)
    assert tbkit.snapshot(testbed) == before


@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("kind", ["foreign-host", "lookalike-host", "upper-case-host"])
def test_raw_update_to_a_foreign_url_is_refused_by_the_constraint(
    testbed: TestbedInfo, kind: str, field: str
) -> None:
    pk = tbkit.plant_release_file(testbed)
    value = _value(DB_REFUSED[kind], field, tbkit.unique("raw"))
    before = tbkit.snapshot(testbed)
    with pytest.raises(tbkit.integrity_errors()) as error:
        tbkit.execute(
            testbed, f"UPDATE downloads_releasefile SET {field} = ? WHERE id = ?", [value, pk]
        )
    assert CONSTRAINT in str(error.value)
    assert tbkit.snapshot(testbed) == before


@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("kind", list(DB_ACCEPTED))
def test_raw_insert_and_update_with_python_org_urls_pass_the_constraint(
    testbed: TestbedInfo, kind: str, field: str
) -> None:
    """The constraint is looser than clean(): it also admits http://www.python.org/."""
    stem = tbkit.unique("raw")
    pk = tbkit.plant_release_file(testbed, **{field: _value(DB_ACCEPTED[kind], field, stem)})
    tbkit.execute(
        testbed,
        f"UPDATE downloads_releasefile SET {field} = ? WHERE id = ?",
        [_value(DB_ACCEPTED[kind], field, stem + "-2"), pk],
    )
    assert _stored_urls(testbed, pk)[field].endswith(f"{stem}-2{SIDECARS.get(field, '.tgz')}")
