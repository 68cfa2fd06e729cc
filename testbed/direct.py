"""One raw connection to a testbed's scratch database, kept for the life of the testbed.

Tests judge by reading the database directly (a snapshot before and after each attempt, a
planted row, a count). On PostgreSQL every new connection is a backend process forked by the
server, about 15 ms; the testbed's own tests open several per attempt, and that, not the API,
was most of their time there. One kept connection per testbed answers them all; each use is
still its own transaction (committed when the block ends, rolled back when it raises), so a
test sees exactly what a fresh connection would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from testbed.database import ScratchDatabase


@dataclass
class DirectConnection:
    """Opened on first use, closed by the testbed's ``stop()`` before its database goes."""

    database: ScratchDatabase
    _connection: Any = field(default=None, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._lock:
            connection = self._open()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()

    def _open(self) -> Any:
        if self._connection is not None and not _closed(self._connection):
            return self._connection
        if self.database.server is None:
            import sqlite3

            self._connection = sqlite3.connect(
                self.database.name, timeout=10, check_same_thread=False
            )
        else:
            import psycopg

            self._connection = psycopg.connect(
                **self.database.server.connect_kwargs(self.database.name)
            )
        return self._connection


def _closed(connection: Any) -> bool:
    """psycopg says so (the server may end a backend); an sqlite3 connection is ours alone."""
    return bool(getattr(connection, "closed", False))
