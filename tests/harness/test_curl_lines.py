"""A curl line runs as shown once the target's own variables are exported.

The lines are pasted into a real shell (``bash -c``) against a real testbed with the defects
that make them interesting: ``key-extension`` (the right key with anything appended is taken)
and ``username-strip`` (whitespace around the username is dropped), so the request the gate
reports really writes, and the pasted line must write too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid

import pytest

from authfuzz.client import ApiRequest, render_curl
from authfuzz.client.rendering import DERIVED
from authfuzz.principals import Principal, Principals, Role
from authfuzz.redaction import Redactor
from testbed.principals import ACCOUNTS
from testbed.runner import Testbed

ADMIN = next(a for a in ACCOUNTS if a.name == "admin")


def _redactor(env: tuple[tuple[str, str], ...] = ()) -> Redactor:
    admin = Principal("admin", "admin", Role.STAFF, api_key=ADMIN.api_key, env=env)
    return Redactor.for_principals(Principals((admin,)))


def _create(authorization: str) -> ApiRequest:
    slug = f"curl-{uuid.uuid4().hex[:8]}"
    return ApiRequest(
        "POST",
        "/api/v1/downloads/os/",
        headers=(("Authorization", authorization),),
        json_body={"name": slug, "slug": slug},
    )


def _paste(line: str, variables: dict[str, str]) -> str:
    env = {**os.environ, **variables}
    done = subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("authorization", "variable"),
    [
        (f"ApiKey admin:{ADMIN.api_key}x", "AUTHFUZZ_ADMIN_API_KEY"),  # key-extension
        (f"ApiKey admin\t:{ADMIN.api_key}", "AUTHFUZZ_ADMIN_API_KEY"),  # a tab: username-strip
        (f"ApiKey  admin :{ADMIN.api_key}zz", "MINE_ADMIN_API_KEY"),  # the target's own name
    ],
    ids=["appended", "tab", "api_key_env"],
)
def test_a_pasted_curl_line_writes_what_the_finding_says(authorization: str, variable: str) -> None:
    env = (("api_key", variable),) if variable != "AUTHFUZZ_ADMIN_API_KEY" else ()
    with Testbed(defects=["key-extension", "username-strip"]) as info:
        request = _create(authorization)
        line = render_curl(info.base_url, request, _redactor(env))
        assert ADMIN.api_key not in line and "{redacted}" not in line, line
        assert "${" + variable + "}" in line, line
        assert "\t" not in line  # a pasted tab would trigger the shell's completion
        output = _paste(line, {variable: ADMIN.api_key})
        status = re.search(r"^HTTP/\S+ (\d{3})", output, re.M)
        assert status is not None and status.group(1) == "201", output[-2000:]
        slug = json.dumps(request.json_body)
        listed = _paste(f"curl -sS '{info.base_url}/api/v1/downloads/os/?limit=0'", {})
        assert json.loads(slug)["slug"] in listed


def test_a_derived_key_says_how_to_replay_instead_of_a_curl_line() -> None:
    near_miss = ADMIN.api_key[:-1] + ("0" if ADMIN.api_key[-1] != "0" else "1")
    line = render_curl("http://127.0.0.1:1", _create(f"ApiKey admin:{near_miss}"), _redactor())
    assert line == DERIVED and "authfuzz repro" in line
    assert near_miss not in line
