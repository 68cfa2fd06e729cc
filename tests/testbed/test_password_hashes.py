"""The testbed's password hashes, computed once per machine: still real, still checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from django.conf import settings
settings.configure()
from django.contrib.auth.hashers import check_password, get_hasher
from testbed.password_hashes import cache_file, password_hash
first = password_hash("admin", "s3cret-pw")
again = password_hash("admin", "s3cret-pw")
print(json.dumps({
    "same": first == again,
    "right": check_password("s3cret-pw", first),
    "wrong": check_password("s3cret-pX", first),
    "default_hasher": first.startswith(get_hasher("default").algorithm + "$"),
    "must_update": get_hasher("default").must_update(first),
    "other_account_differs": password_hash("editor", "s3cret-pw") != first,
    "mode": oct(cache_file().stat().st_mode & 0o777),
}))
"""


def test_a_cached_hash_is_the_default_hasher_s_and_checks_the_password(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    import json

    facts = json.loads(done.stdout)
    assert facts == {
        "same": True,
        "right": True,
        "wrong": False,
        "default_hasher": True,
        "must_update": False,  # a login does not re-hash and write the user row
        "other_account_differs": True,
        "mode": "0o600",
    }
    assert (tmp_path / "authfuzz" / "testbed-password-hashes.json").is_file()
