"""Throttles (release-api.md section 5): lifted by default, python.org's limits when asked.

With ``Testbed(throttle=True)`` the v1 guest bucket holds 600 counted requests and the v2
anonymous bucket 100; failed authentication (and other refusals) must never be counted.
Each API takes well under two seconds to fill its bucket on the testbed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import requests
import tbkit
from tbkit import ADMIN, USER, apikey, token

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

V1_LIMIT = 600
V2_ANON_LIMIT = 100


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A keep-alive session (the buckets key on the client address, not the connection)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture(scope="module")
def throttled(testbeds: tbkit.TestbedPool) -> Iterator[TestbedInfo]:
    yield testbeds.get((), throttle=True)
    testbeds.stop((), throttle=True)


def _statuses(http: requests.Session, url: str, n: int, **kwargs: object) -> Counter[int]:
    return Counter(http.get(url, timeout=30, **kwargs).status_code for _ in range(n))  # type: ignore[arg-type]


def test_throttle_is_lifted_by_default(testbed: TestbedInfo, http: requests.Session) -> None:
    v1 = f"{testbed.base_url}/api/v1/downloads/os/?limit=1"
    v2 = f"{testbed.base_url}/api/v2/downloads/os/"
    assert _statuses(http, v1, V1_LIMIT + 50) == {200: V1_LIMIT + 50}
    assert _statuses(http, v2, V2_ANON_LIMIT + 50) == {200: V2_ANON_LIMIT + 50}


def test_v1_guest_bucket_counts_only_successes(
    throttled: TestbedInfo, http: requests.Session
) -> None:
    base = throttled.base_url
    read = f"{base}/api/v1/downloads/os/?limit=1"

    # Refusals that must not be counted: failed authentication, failed authorization,
    # a bad filter, a wrong method.
    for _ in range(25):
        assert (
            http.get(read, headers={"Authorization": f"ApiKey admin:{USER.api_key}"}).status_code
            == 401
        )
        assert http.get(read, params={"username": "admin"}).status_code == 401
        assert http.post(f"{base}/api/v1/downloads/os/", json=tbkit.os_body()).status_code == 401
        assert http.get(f"{base}/api/v1/downloads/release/?order_by=name").status_code == 400
        assert http.put(f"{base}/api/v1/downloads/os/").status_code == 405

    assert _statuses(http, read, V1_LIMIT) == {200: V1_LIMIT}
    over = http.get(read)
    assert over.status_code == 429
    assert over.content == b""
    assert int(over.headers["Retry-After"]) > 0

    # Section 5.1 ordering: a throttled guest's write gets 429, not 401; a bad key still 401;
    # a valid key moves the request into that user's own bucket.
    body = tbkit.os_body()
    assert http.post(f"{base}/api/v1/downloads/os/", json=body).status_code == 429
    assert (
        http.get(read, headers={"Authorization": f"ApiKey admin:{USER.api_key}"}).status_code == 401
    )
    # v1 keys guests on REMOTE_ADDR only: X-Forwarded-For does not pick another bucket.
    assert http.get(read, headers={"X-Forwarded-For": "9.9.9.9"}).status_code == 429
    assert http.get(read, headers=apikey(USER)).status_code == 200
    assert http.get(read, headers=apikey(ADMIN)).status_code == 200
    assert not tbkit.slug_exists(throttled, "downloads_os", body["slug"])


def test_v2_anonymous_bucket_counts_only_successes(
    throttled: TestbedInfo, http: requests.Session
) -> None:
    base = throttled.base_url
    read = f"{base}/api/v2/downloads/os/"

    for _ in range(25):
        assert http.get(read, headers={"Authorization": "Token " + "0" * 40}).status_code == 401
        assert http.post(read, json=tbkit.os_body()).status_code == 401
        assert http.post(read, headers=token(USER), json=tbkit.os_body()).status_code == 403

    assert _statuses(http, read, V2_ANON_LIMIT) == {200: V2_ANON_LIMIT}
    over = http.get(read)
    assert over.status_code == 429
    assert re.fullmatch(
        r"Request was throttled\. Expected available in \d+ seconds\.", over.json()["detail"]
    )
    assert int(over.headers["Retry-After"]) > 0

    # Permission runs before the throttle: anonymous writes still get 401 (section 6.2).
    body = tbkit.os_body()
    assert http.post(read, json=body).status_code == 401
    assert not tbkit.slug_exists(throttled, "downloads_os", body["slug"])
    # A token has its own bucket; a direct client can pick its own anonymous bucket (5.2).
    assert http.get(read, headers=token(ADMIN)).status_code == 200
    assert http.get(read, headers={"X-Forwarded-For": "9.9.9.9"}).status_code == 200
