"""Where a testbed keeps its data: a fresh SQLite file, or a fresh PostgreSQL database.

Every testbed gets its own scratch database, so parallel testbeds (one per
pytest-xdist worker) never see each other's writes, and a user's
``--database-url`` only names the server: nothing in the database it points
at is touched.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class DatabaseError(RuntimeError):
    """A database problem worth one line to the user, never a traceback."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    maintenance_db: str

    def connect_kwargs(self, dbname: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dbname": dbname, "connect_timeout": 5}
        for key in ("host", "user", "password"):
            if getattr(self, key):
                kwargs[key] = getattr(self, key)
        kwargs["port"] = self.port
        return kwargs

    def describe(self) -> str:
        return f"postgresql://{self.user + '@' if self.user else ''}{self.host or 'localhost'}:{self.port}"


def parse_database_url(url: str) -> PostgresServer:
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError as error:
        raise DatabaseError(f"bad database URL: {error}") from None
    if parts.scheme not in ("postgres", "postgresql"):
        raise DatabaseError(
            f"bad database URL: scheme {parts.scheme or '(none)'!r} is not supported; "
            "use postgresql://user:password@host:port/dbname"
        )
    return PostgresServer(
        host=unquote(parts.hostname or ""),
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        maintenance_db=unquote(parts.path.lstrip("/")) or "postgres",
    )


@dataclass(frozen=True)
class ScratchDatabase:
    """A database that exists for one testbed run and is dropped after it."""

    engine: str  # "sqlite" or "postgresql"
    name: str  # file path for SQLite, database name for PostgreSQL
    server: PostgresServer | None = None

    def django_settings(self) -> dict[str, Any]:
        if self.server is None:
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": self.name,
                # A scratch file dropped after the run: durability buys nothing, and an fsync
                # per commit (two or three of them) slowed every write the gate sends.
                "OPTIONS": {"init_command": "PRAGMA synchronous=OFF;"},
                # As on PostgreSQL below: one connection per server thread, kept, instead of
                # a connection (and its set-up queries) opened and closed on every request.
                "CONN_MAX_AGE": 300,
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.server.user,
            "PASSWORD": self.server.password,
            "HOST": self.server.host,
            "PORT": str(self.server.port),
            # Each request would otherwise open its own connection (a PostgreSQL backend
            # process forked per request), which no deployment does; health checks make a
            # connection the server dropped reopen instead of failing a request.
            "CONN_MAX_AGE": 300,
            "CONN_HEALTH_CHECKS": True,
        }

    def to_json(self) -> dict[str, Any]:
        """What a harness needs to open the same database directly (tests only)."""
        data: dict[str, Any] = {"engine": self.engine, "name": self.name}
        if self.server is not None:
            data["server"] = self.server.__dict__
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScratchDatabase:
        server = PostgresServer(**data["server"]) if data.get("server") else None
        return cls(engine=data["engine"], name=data["name"], server=server)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A raw DB-API connection, bypassing Django and the API, for tests and planting."""
        if self.server is None:
            connection: Any = sqlite3.connect(self.name, timeout=10)
        else:
            import psycopg

            connection = psycopg.connect(**self.server.connect_kwargs(self.name))
        try:
            yield connection
            connection.commit()
        finally:
            connection.close()


def create_scratch(database_url: str | None, workdir: Path) -> ScratchDatabase:
    if not database_url:
        return ScratchDatabase(engine="sqlite", name=str(workdir / "testbed.sqlite3"))
    server = parse_database_url(database_url)
    name = f"authfuzz_testbed_{secrets.token_hex(6)}"
    _maintenance(server, f'CREATE DATABASE "{name}"')
    return ScratchDatabase(engine="postgresql", name=name, server=server)


def drop_scratch(database: ScratchDatabase) -> None:
    if database.server is not None:
        _maintenance(database.server, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def _maintenance(server: PostgresServer, statement: str) -> None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a hard dependency
        raise DatabaseError(
            "PostgreSQL support needs psycopg: pip install 'psycopg[binary]'"
        ) from None
    try:
        with psycopg.connect(
            **server.connect_kwargs(server.maintenance_db), autocommit=True
        ) as conn:
            conn.execute(statement)
    except psycopg.OperationalError as error:
        first_line = (
            str(error).strip().splitlines()[0] if str(error).strip() else "connection failed"
        )
        raise DatabaseError(
            f"PostgreSQL at {server.describe()} is unreachable: {first_line}"
        ) from None
    except psycopg.Error as error:
        raise DatabaseError(f"PostgreSQL at {server.describe()}: {error}".strip()) from None
