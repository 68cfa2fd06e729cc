"""A migrated SQLite database per machine, copied into each new testbed instead of migrating.

Migrating an empty SQLite file takes about half a second, and the harness's tests start
hundreds of testbeds from the same migrations. The first start keeps a copy of the database
just after ``migrate`` (before schema defects and the seed, which differ per testbed) in the
user's cache directory; later starts copy it and let ``migrate`` find nothing to do. The key
covers what decides the schema: the installed apps, their packages' versions and the
testbed's own migrations, so a changed migration never meets a stale copy. PostgreSQL
testbeds migrate as before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

from django.conf import settings

_PACKAGES = ("django", "djangorestframework", "django-tastypie")
_MIGRATIONS = Path(__file__).resolve().parent / "downloads" / "migrations"


def cache_directory() -> Path:
    """The user's own cache directory, never a shared temporary one another user could fill."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authfuzz"


def template_path() -> Path:
    digest = hashlib.sha256()
    digest.update(repr(list(settings.INSTALLED_APPS)).encode())
    for package in _PACKAGES:
        digest.update(f"{package}={version(package)}".encode())
    for migration in sorted(_MIGRATIONS.glob("*.py")):
        digest.update(migration.name.encode() + migration.read_bytes())
    return cache_directory() / f"testbed-migrated-{digest.hexdigest()[:16]}.sqlite3"


def copy_template(database_file: str) -> bool:
    """Start from the migrated copy, if this machine has one (True when it did)."""
    template = template_path()
    try:
        shutil.copyfile(template, database_file)
    except OSError:
        return False
    return True


def keep_template(database_file: str) -> None:
    """Keep the just-migrated database as the copy (atomically; a failure costs time only)."""
    template = template_path()
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=template.parent, prefix=".migrated-")
        os.close(handle)
        shutil.copyfile(database_file, name)
        os.replace(name, template)
    except OSError:
        pass
