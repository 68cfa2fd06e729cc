"""The testbed's password hasher: Django's PBKDF2 and its login path, at fewer rounds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from testbed.principals import ACCOUNTS
from testbed.runner import TestbedInfo

PROBE = """
import json
import django
django.setup()
from django.contrib.auth.hashers import check_password, get_hasher, make_password
stored = make_password("s3cret-pw")
print(json.dumps({
    "algorithm": stored.split("$")[0],
    "rounds": int(stored.split("$")[1]),
    "right": check_password("s3cret-pw", stored),
    "wrong": check_password("s3cret-pX", stored),
    "must_update": get_hasher("default").must_update(stored),
}))
"""


def test_the_hasher_is_django_s_pbkdf2_with_fewer_rounds() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "testbed.settings"}
    env.pop("AUTHFUZZ_TESTBED_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "algorithm": "pbkdf2_sha256",  # Django's default algorithm and encoding
        "rounds": 10_000,
        "right": True,
        "wrong": False,
        "must_update": False,  # a login does not re-hash and write the user row
    }


@pytest.mark.parametrize(("suffix", "logged_in"), [("", True), ("X", False)])
def test_a_seeded_account_logs_in_with_its_password_only(
    testbed: TestbedInfo, suffix: str, logged_in: bool
) -> None:
    admin = next(a for a in ACCOUNTS if a.name == "admin")
    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(f"{testbed.base_url}/admin/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the admin login form"
        answer = browser.post(
            f"{testbed.base_url}/admin/login/",
            data={
                "username": admin.username,
                "password": admin.password + suffix,
                "csrfmiddlewaretoken": token.group(1),
                "next": "/admin/",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert (answer.status_code == 302) is logged_in, answer.status_code
        assert bool(browser.cookies.get("sessionid")) is logged_in
