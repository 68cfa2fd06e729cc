"""v2 query filters (release-api.md 1.5 and 6.1): bad values are 400s, never 500s.

release_file is strict (any unknown parameter is a 400) and rejects a release or OS pk that
does not exist; os and release ignore unknown parameters but reject bad values of known ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import tbkit

if TYPE_CHECKING:
    from testbed.runner import TestbedInfo

CHOICE = "Select a valid choice. That choice is not one of the available choices."

CASES = [
    # (id, path, status, JSON body or None when only the status matters)
    ("file-release-exists", "release_file/?release=1", 200, None),
    ("file-draft-release-is-public", "release_file/?release=2", 200, None),
    ("file-release-missing", "release_file/?release=999", 400, {"release": [CHOICE]}),
    ("file-os-missing", "release_file/?os=999", 400, {"os": [CHOICE]}),
    (
        "file-format-param",
        "release_file/?format=json",
        400,
        {"error": ["'exact' is not an allowed filter on the 'format' field."]},
    ),
    ("file-url-param", "release_file/?url=x", 400, None),
    ("release-version-choice", "release/?version=3", 200, None),
    ("release-version-not-a-choice", "release/?version=999", 400, {"version": [CHOICE]}),
    ("release-date-garbage", "release/?release_date=notadate", 400, None),
    ("release-date-iso", "release/?release_date=2025-10-07T00:00:00Z", 200, None),
    ("release-is-published-garbage", "release/?is_published=maybe", 400, None),
    ("release-unknown-param-ignored", "release/?foo=bar", 200, None),
    ("os-other-lookup-ignored", "os/?name__startswith=zzz", 200, None),
]


@pytest.mark.parametrize(
    ("path", "status", "body"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_v2_filter(testbed: TestbedInfo, path: str, status: int, body: object) -> None:
    response = tbkit.call(testbed, "GET", f"/api/v2/downloads/{path}")
    assert response.status_code == status, response.text[:300]
    if body is not None:
        assert response.json() == body


def test_v2_unknown_lookup_on_os_returns_everything(testbed: TestbedInfo) -> None:
    everything = tbkit.call(testbed, "GET", "/api/v2/downloads/os/").json()
    filtered = tbkit.call(testbed, "GET", "/api/v2/downloads/os/?name__startswith=zzz").json()
    assert filtered == everything
