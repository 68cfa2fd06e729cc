"""Put rows straight into a testbed's database, past the API and past the URL constraint.

This is the "written before the constraint existed" case the stored-URL sweep
must find: release files with foreign URLs that no API path could store today.
"""

from __future__ import annotations

from typing import Any

from testbed.database import ScratchDatabase

CONSTRAINT = "only_python_dot_org_urls"
TABLE = "downloads_releasefile"


def plant_release_file(
    database: ScratchDatabase, release_pk: int, os_pk: int, **fields: Any
) -> int:
    """Insert a release file with any URL values, bypassing the check constraint."""
    row: dict[str, Any] = {
        "name": "planted",
        "slug": f"planted-{fields.get('slug', '')}",
        "description": "",
        "is_source": False,
        "url": "",
        "gpg_signature_file": "",
        "sigstore_signature_file": "",
        "sigstore_cert_file": "",
        "sigstore_bundle_file": "",
        "sbom_spdx2_file": "",
        "md5_sum": "",
        "sha256_sum": "",
        "filesize": 0,
        "download_button": False,
        "os_id": os_pk,
        "release_id": release_pk,
        "created": "2025-01-01 00:00:00",
        "updated": "2025-01-01 00:00:00",
        **fields,
    }
    names = ", ".join(row)
    with database.connect() as connection:
        if database.engine == "sqlite":
            connection.execute("PRAGMA ignore_check_constraints = ON")
            cursor = connection.execute(
                f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join('?' for _ in row)})",
                tuple(row.values()),
            )
            connection.execute("PRAGMA ignore_check_constraints = OFF")
            return int(cursor.lastrowid)
        # PostgreSQL: drop the constraint, insert, and put it back NOT VALID, which is
        # exactly the state of a table whose rows predate the constraint. Django's foreign
        # keys are deferred; checking them now lets the ALTER TABLE run in this transaction.
        connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
        (definition,) = connection.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", (CONSTRAINT,)
        ).fetchone()
        connection.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}")
        (pk,) = connection.execute(
            f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join('%s' for _ in row)}) RETURNING id",
            tuple(row.values()),
        ).fetchone()
        connection.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} {definition} NOT VALID"
        )
        return int(pk)
