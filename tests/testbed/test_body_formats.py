"""The request-body formats each API takes at HEAD (release-api.md 1.3 "Formats").

v1 (Tastypie) deserializes JSON, XML (through lxml and defusedxml) and YAML; a form body is
415. Of the YAML media types only ``text/yaml`` is Tastypie 0.15's; ``application/x-yaml``
and ``application/yaml`` are 415. v2 (DRF's default parsers) takes JSON, form-encoded and
multipart bodies, and answers 415 for XML.

Each create is checked in the database, and a guest's create in every format is still an
empty 401 that writes nothing: the format never decides who may write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import tbkit
from tbkit import ADMIN, XML, YAML, apikey, token

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

V1_FORMATS = (XML, YAML)


V1_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "os": tbkit.os_body,
    "release": tbkit.release_body,
    "release_file": tbkit.v1_file_body,
}


TABLES = {
    "os": "downloads_os",
    "release": "downloads_release",
    "release_file": "downloads_releasefile",
}
RESOURCES = tuple(TABLES)


def _stored(info: TestbedInfo, resource: str, slug: str) -> dict[str, Any]:
    rows = tbkit.query(info, f"SELECT id FROM {TABLES[resource]} WHERE slug = ?", (slug,))
    assert len(rows) == 1, f"{resource} {slug}: {len(rows)} rows"
    found = tbkit.row(info, TABLES[resource], int(rows[0][0]))
    assert found is not None
    return found


def _v1_post(
    info: TestbedInfo, resource: str, content_type: str, body: dict[str, Any], headers: Any
) -> Any:
    return tbkit.call(
        info,
        "POST",
        f"/api/v1/downloads/{resource}/",
        headers={**headers, "Content-Type": content_type},
        data=tbkit.formatted(body, content_type).encode(),
    )


@pytest.mark.parametrize("content_type", V1_FORMATS)
@pytest.mark.parametrize("resource", RESOURCES)
def test_v1_staff_creates_from_xml_and_yaml(
    testbed: TestbedInfo, resource: str, content_type: str
) -> None:
    body = V1_BODIES[resource]()
    response = _v1_post(testbed, resource, content_type, body, apikey(ADMIN))
    assert response.status_code == 201, response.text[:300]
    found = _stored(testbed, resource, body["slug"])
    assert tbkit.pk_from_location(response) == found["id"]
    for name, value in body.items():
        if name in ("os", "release"):
            assert found[f"{name}_id"] == int(value.rstrip("/").rsplit("/", 1)[1])
        else:
            assert found[name] == value, name  # typed: version 3 stays 3, False stays False


@pytest.mark.parametrize("content_type", V1_FORMATS)
@pytest.mark.parametrize("resource", RESOURCES)
def test_v1_guest_create_from_xml_and_yaml_is_an_empty_401(
    testbed: TestbedInfo, resource: str, content_type: str
) -> None:
    body = V1_BODIES[resource]()
    before = tbkit.snapshot(testbed)
    response = _v1_post(testbed, resource, content_type, body, {})
    assert response.status_code == 401
    assert response.content == b""
    assert tbkit.snapshot(testbed) == before


@pytest.mark.parametrize(
    "content_type", ["application/x-yaml", "application/yaml", "application/x-www-form-urlencoded"]
)
def test_v1_other_body_types_are_415(testbed: TestbedInfo, content_type: str) -> None:
    body = tbkit.os_body()
    before = tbkit.snapshot(testbed)
    data = tbkit.yaml_body(body) if "yaml" in content_type else f"name=x&slug={body['slug']}"
    response = tbkit.call(
        testbed,
        "POST",
        "/api/v1/downloads/os/",
        headers={**apikey(ADMIN), "Content-Type": content_type},
        data=data.encode(),
    )
    assert response.status_code == 415
    assert tbkit.snapshot(testbed) == before


# --------------------------------------------------------------------------------------------
# v2
# --------------------------------------------------------------------------------------------


def _v2_body(info: TestbedInfo, resource: str) -> dict[str, Any]:
    return tbkit.os_body() if resource == "os" else tbkit.v2_file_body(info)


def _encoded(body: dict[str, Any], encoding: str) -> dict[str, Any]:
    if encoding == "json":
        return {"json": body}
    if encoding == "form":
        return {"data": body}
    return {"files": {name: (None, str(value)) for name, value in body.items()}}  # multipart


V2_RESOURCES = ("os", "release_file")
ENCODINGS = ("json", "form", "multipart")


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("resource", V2_RESOURCES)
def test_v2_staff_creates_from_json_form_and_multipart(
    testbed: TestbedInfo, resource: str, encoding: str
) -> None:
    body = _v2_body(testbed, resource)
    response = tbkit.call(
        testbed,
        "POST",
        f"/api/v2/downloads/{resource}/",
        headers=token(ADMIN),
        **_encoded(body, encoding),
    )
    assert response.status_code == 201, response.text[:300]
    found = _stored(testbed, resource, body["slug"])
    for name, value in body.items():
        if name in ("os", "release"):
            assert found[f"{name}_id"] == int(value.rstrip("/").rsplit("/", 1)[1])
        else:
            assert found[name] == value, name


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("resource", V2_RESOURCES)
def test_v2_anonymous_create_in_any_encoding_is_401(
    testbed: TestbedInfo, resource: str, encoding: str
) -> None:
    body = _v2_body(testbed, resource)
    before = tbkit.snapshot(testbed)
    response = tbkit.call(
        testbed, "POST", f"/api/v2/downloads/{resource}/", **_encoded(body, encoding)
    )
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == "Token"
    assert tbkit.snapshot(testbed) == before


def test_v2_xml_body_is_415(testbed: TestbedInfo) -> None:
    body = tbkit.os_body()
    before = tbkit.snapshot(testbed)
    response = tbkit.call(
        testbed,
        "POST",
        "/api/v2/downloads/os/",
        headers={**token(ADMIN), "Content-Type": XML},
        data=tbkit.xml_body(body).encode(),
    )
    assert response.status_code == 415
    assert tbkit.snapshot(testbed) == before
