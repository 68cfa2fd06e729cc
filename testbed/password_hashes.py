"""The fixed accounts' password hashes, computed once per machine instead of per testbed.

Django's default hasher (PBKDF2, about a million iterations) takes a few tenths of a second
per password on purpose; four accounts made every testbed start-up wait about 1.6 s for them,
and the harness's tests start hundreds of testbeds. The stored hashes stay real: the default
hasher, its iterations, a salt derived from the account (so the encoding is the same every
time), checked on every login at full cost. Only their computation is kept, in the user's
cache directory (never a shared temporary directory, where another local user could plant a
hash), keyed by hasher, iterations and salt; an entry that does not match is computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from django.contrib.auth.hashers import get_hasher


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authfuzz" / "testbed-password-hashes.json"


def password_hash(name: str, password: str) -> str:
    """The encoded hash of ``password`` for account ``name`` (the same on every call)."""
    hasher = get_hasher("default")
    salt = hashlib.sha256(f"authfuzz-testbed:{name}:salt".encode()).hexdigest()[:22]
    iterations = getattr(hasher, "iterations", "")
    key = f"{hasher.algorithm}${iterations}${salt}$" + hashlib.sha256(password.encode()).hexdigest()
    path = cache_file()
    cached = _read(path)
    encoded = cached.get(key)
    if isinstance(encoded, str) and encoded.startswith(f"{hasher.algorithm}${iterations}${salt}$"):
        return encoded
    encoded = str(hasher.encode(password, salt))
    _write(path, {**cached, key: encoded})
    return encoded


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, object]) -> None:
    """Atomically, readable by this user only; a cache that cannot be written costs time only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".hashes-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(name, path)
    except OSError:
        pass
