"""``specs/pythondotorg.yaml`` and the clean testbed describe the same API.

- Every documented (method, path) works on the testbed for the admin staff principal
  (ApiKey on v1, Token on v2): the documented success status, never 404/405 for the route,
  and a response that conforms to the spec (checked by Schemathesis).
- Every method among GET/POST/PUT/PATCH/DELETE that a documented path does not list gets 405.
- The spec loads in Schemathesis 4.

Destructive calls act on objects planted for the test, so tests stay independent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import schemathesis
import tbkit
import yaml
from tbkit import ADMIN, apikey, token

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

SPEC = Path(__file__).resolve().parents[2] / "specs" / "pythondotorg.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
ROUTE = re.compile(
    r"^/api/(?P<api>v1|v2)/downloads/(?P<resource>os|release|release_file)/"
    r"(?P<rest>|\{id\}/|delete_by_release/)$"
)
SUCCESS = {"get": 200, "post": 201, "put": 200, "patch": 200, "delete": 204}


def _load() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)  # type: ignore[no-any-return]


RAW = _load()
DOCUMENTED = [
    (method, path) for path, item in RAW["paths"].items() for method in METHODS if method in item
]
UNDOCUMENTED = [
    (method, path)
    for path, item in RAW["paths"].items()
    for method in METHODS
    if method not in item
]


@dataclass(frozen=True)
class Route:
    api: str
    resource: str
    kind: str  # list | detail | delete_by_release

    @classmethod
    def parse(cls, path: str) -> Route:
        match = ROUTE.match(path)
        assert match, f"the spec documents {path}, which is not a downloads route of the testbed"
        rest = match["rest"]
        kind = "list" if rest == "" else "detail" if rest == "{id}/" else "delete_by_release"
        return cls(match["api"], match["resource"], kind)

    def headers(self) -> dict[str, str]:
        return apikey(ADMIN) if self.api == "v1" else token(ADMIN)


PLANT: dict[str, Callable[[TestbedInfo], int]] = {
    "os": tbkit.plant_os,
    "release": tbkit.plant_release,
    "release_file": tbkit.plant_release_file,
}


def _body(info: TestbedInfo, route: Route, method: str) -> Any:
    if method == "patch":
        return {"name": tbkit.unique("patched")}
    if route.resource == "os":
        return tbkit.os_body()
    if route.resource == "release":
        return tbkit.release_body()
    return tbkit.v1_file_body() if route.api == "v1" else tbkit.v2_file_body(info)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    body: Any

    def send(self, info: TestbedInfo) -> requests.Response:
        return tbkit.call(
            info, self.method, self.path, headers=self.headers, params=self.params, json=self.body
        )


def _prepare(info: TestbedInfo, method: str, path: str) -> Call:
    """``method path`` as admin, on freshly planted objects, with a valid body."""
    route = Route.parse(path)
    params: dict[str, Any] = {}
    if "{id}" in path:
        path = path.replace("{id}", str(PLANT[route.resource](info)))
    if route.resource == "release_file" and method == "delete" and route.kind != "detail":
        release = tbkit.plant_release(info)
        tbkit.plant_release_file(info, release_id=release)
        params["release"] = release
    body = _body(info, route, method) if method in ("post", "put", "patch") else None
    return Call(method.upper(), path, route.headers(), params, body)


def _required_query_params(operation: dict[str, Any], item: dict[str, Any]) -> set[str]:
    required = set()
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = RAW["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter.get("in") == "query" and parameter.get("required"):
            required.add(parameter["name"])
    return required


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_path(str(SPEC))


def test_spec_loads_in_schemathesis(schema: Any) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.lower(), op.path) for op in operations} == set(DOCUMENTED)


def test_spec_documents_every_route_of_the_testbed() -> None:
    routes = {
        (Route.parse(path).api, Route.parse(path).resource, Route.parse(path).kind)
        for path in RAW["paths"]
    }
    expected = {
        (api, resource, kind)
        for api in ("v1", "v2")
        for resource in PLANT
        for kind in ("list", "detail")
    }
    assert routes == expected | {("v2", "release_file", "delete_by_release")}


@pytest.mark.parametrize(
    ("method", "path"), DOCUMENTED, ids=[f"{m.upper()} {p}" for m, p in DOCUMENTED]
)
def test_documented_operation_works_on_the_testbed(
    testbed: TestbedInfo, schema: Any, method: str, path: str
) -> None:
    item = RAW["paths"][path]
    operation = item[method]
    assert str(SUCCESS[method]) in operation["responses"], "the spec omits the success status"
    sent_params = (
        {"release"}
        if method == "delete" and "release_file" in path and "{id}" not in path
        else set()
    )
    assert _required_query_params(operation, item) <= sent_params

    response = _prepare(testbed, method, path).send(testbed)
    assert response.status_code not in (404, 405), response.text[:300]
    assert response.status_code == SUCCESS[method], response.text[:300]
    schema[path][method.upper()].validate_response(response)


@pytest.mark.parametrize(
    ("method", "path"), UNDOCUMENTED, ids=[f"{m.upper()} {p}" for m, p in UNDOCUMENTED]
)
def test_undocumented_method_is_405(testbed: TestbedInfo, method: str, path: str) -> None:
    call = _prepare(testbed, method, path)
    before = tbkit.snapshot(testbed)
    response = call.send(testbed)
    assert response.status_code == 405, response.text[:300]
    assert tbkit.snapshot(testbed) == before
