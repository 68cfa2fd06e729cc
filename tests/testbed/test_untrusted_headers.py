"""At HEAD no header or parameter a client can set itself stands in for credentials.

Three families of request are sent without credentials to both APIs, and each must be
refused without writing (a raw-SQL snapshot of the downloads tables is unchanged):

- proxy identity headers naming ``admin`` (what a proxy that authenticates might add);
- internal-trust headers claiming a loopback or build-network client address;
- method overrides (three override headers, ``_method`` in the query string or in a form
  body) on GET, POST and HEAD, asking for DELETE, PUT, PATCH or POST.

The statuses are the clean testbed's real ones (release-api.md 1.2 and 2.3). One is not a
plain refusal: Tastypie applies ``X-HTTP-Method-Override`` itself, before authentication,
so on v1 a GET, POST or even HEAD carrying it *is* a DELETE or POST and gets that method's
401 (and PUT/PATCH its 405). With a staff key that override writes, HEAD included; the last
test pins that, since a guard that treats HEAD as read-only must still look at the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests
import tbkit
from tbkit import ADMIN, apikey

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

APIS = ("v1", "v2")

IDENTITY_HEADERS = [
    (name, "admin")
    for name in (
        "X-Remote-User",
        "Remote-User",
        "X-Forwarded-User",
        "X-Auth-Request-User",
        "X-User",
        "X-Webauth-User",
    )
]
TRUST_HEADERS = [
    ("X-Forwarded-For", "127.0.0.1"),
    ("X-Forwarded-For", "10.0.0.1"),
    ("X-Real-IP", "127.0.0.1"),
    ("X-Real-IP", "10.0.0.1"),
    ("X-Client-IP", "127.0.0.1"),
    ("X-Client-IP", "10.0.0.1"),
    ("True-Client-IP", "127.0.0.1"),
    ("True-Client-IP", "10.0.0.1"),
    ("Forwarded", "for=127.0.0.1"),
    ("Forwarded", "for=10.0.0.1"),
]
CLAIMS = IDENTITY_HEADERS + TRUST_HEADERS


def _path(api: str, pk: int | None = None) -> str:
    return f"/api/{api}/downloads/os/" + (f"{pk}/" if pk is not None else "")


def _assert_refusal_shape(api: str, response: requests.Response) -> None:
    """v1 refuses with an empty 401; v2 with 401 and ``WWW-Authenticate: Token``."""
    assert response.status_code == 401, response.text[:300]
    if api == "v1":
        assert response.content == b""
        assert "WWW-Authenticate" not in response.headers
    else:
        assert response.headers.get("WWW-Authenticate") == "Token"


# --------------------------------------------------------------------------------------------
# identity and trust headers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(("name", "value"), CLAIMS, ids=[f"{n}:{v}" for n, v in CLAIMS])
def test_claimed_identity_or_address_does_not_create(
    testbed: TestbedInfo, api: str, name: str, value: str
) -> None:
    body = tbkit.os_body()
    before = tbkit.snapshot(testbed)
    response = tbkit.call(testbed, "POST", _path(api), headers={name: value}, json=body)
    _assert_refusal_shape(api, response)
    assert tbkit.snapshot(testbed) == before
    assert not tbkit.slug_exists(testbed, "downloads_os", body["slug"])


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(("name", "value"), CLAIMS, ids=[f"{n}:{v}" for n, v in CLAIMS])
def test_claimed_identity_or_address_does_not_delete(
    testbed: TestbedInfo, api: str, name: str, value: str
) -> None:
    pk = tbkit.plant_os(testbed)
    before = tbkit.snapshot(testbed)
    response = tbkit.call(testbed, "DELETE", _path(api, pk), headers={name: value})
    _assert_refusal_shape(api, response)
    assert tbkit.snapshot(testbed) == before


# --------------------------------------------------------------------------------------------
# method overrides
# --------------------------------------------------------------------------------------------

OVERRIDE_HEADERS = ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")
FORMS = (*OVERRIDE_HEADERS, "query:_method", "form:_method")
SENT = ("GET", "POST", "HEAD")
TARGETS = ("DELETE", "PUT", "PATCH", "POST")  # POST on the list URL, the others on a detail


def head_status(api: str, form: str, sent: str, target: str) -> int:
    """What the clean testbed answers (each case seen on it, not derived from the docs)."""
    if api == "v2":
        # DRF ignores every override: GET and HEAD read, POST is refused before routing.
        return 401 if sent == "POST" else 200
    if form == "X-HTTP-Method-Override":
        # Tastypie swaps the method before its method check, whatever was sent (HEAD too).
        return 401 if target in ("DELETE", "POST") else 405
    if sent == "GET":
        return 200
    if sent == "HEAD":
        return 405  # v1 never lists HEAD
    if target != "POST":
        return 405  # POST on a v1 detail URL
    # POST on the list: a form body fails to deserialize (415) before authorization.
    return 415 if form == "form:_method" else 401


@dataclass(frozen=True)
class Case:
    api: str
    form: str
    sent: str
    target: str

    @property
    def id(self) -> str:
        return f"{self.api}-{self.sent}-{self.form}-{self.target}"


CASES = [Case(a, f, s, t) for a in APIS for f in FORMS for s in SENT for t in TARGETS]


def _prepare(info: TestbedInfo, case: Case) -> dict[str, Any]:
    """A new OS body, and for the detail targets a planted OS to aim at."""
    return {"body": tbkit.os_body(), "pk": None if case.target == "POST" else tbkit.plant_os(info)}


def _send_override(info: TestbedInfo, case: Case, ctx: dict[str, Any]) -> requests.Response:
    """Send the case without credentials."""
    kwargs: dict[str, Any] = {"headers": {}, "params": {}}
    if case.form in OVERRIDE_HEADERS:
        kwargs["headers"][case.form] = case.target
    elif case.form == "query:_method":
        kwargs["params"]["_method"] = case.target
    payload = {} if case.target == "DELETE" else ctx["body"]
    if case.form == "form:_method":
        kwargs["data"] = {**payload, "_method": case.target}
    elif payload:
        kwargs["json"] = payload
    return tbkit.call(info, case.sent, _path(case.api, ctx["pk"]), **kwargs)


def _wrote(info: TestbedInfo, ctx: dict[str, Any]) -> bool:
    """Created, deleted, or renamed to the body's name."""
    if ctx["pk"] is None:
        return tbkit.slug_exists(info, "downloads_os", ctx["body"]["slug"])
    found = tbkit.row(info, "downloads_os", ctx["pk"])
    return found is None or found["name"] == ctx["body"]["name"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_method_override_without_credentials_writes_nothing(
    testbed: TestbedInfo, case: Case
) -> None:
    ctx = _prepare(testbed, case)
    before = tbkit.snapshot(testbed)
    response = _send_override(testbed, case, ctx)
    expected = head_status(case.api, case.form, case.sent, case.target)
    assert response.status_code == expected, response.text[:300]
    if expected == 401:
        _assert_refusal_shape(case.api, response)
    assert not _wrote(testbed, ctx)
    assert tbkit.snapshot(testbed) == before


@pytest.mark.parametrize("sent", SENT)
def test_v1_staff_key_override_deletes_whatever_method_carries_it(
    testbed: TestbedInfo, sent: str
) -> None:
    """Tastypie's own override: with a staff key, a HEAD carrying it deletes (204) too."""
    pk = tbkit.plant_os(testbed)
    response = tbkit.call(
        testbed,
        sent,
        _path("v1", pk),
        headers={**apikey(ADMIN), "X-HTTP-Method-Override": "DELETE"},
    )
    assert response.status_code == 204
    assert tbkit.row(testbed, "downloads_os", pk) is None
