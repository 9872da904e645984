"""A SQLite database through the standard library's ``sqlite3``, for code that must start in milliseconds.

SQLAlchemy costs a quarter of a second to import; the quick no-change ``archive sync`` (see
:mod:`mailwarden.sync.quick`) has half a second for everything. It reads a few rows and writes two, so it
talks to the file directly, in the same formats the ORM uses — :func:`db_time` is how
:class:`~.base.UTCDateTime` stores a time on SQLite — and takes leases by the same conditional writes as
:mod:`.lease`. PostgreSQL is not served here: :func:`sqlite_path` says None and the caller takes the normal
road.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailwarden.core import clock
from mailwarden.core.errors import StorageError

__all__ = ["DirectDB", "db_time", "parse_db_time", "sqlite_path"]

#: what :class:`~.engine.Database` accepts for a SQLite file, with nothing that needs URL decoding
_SQLITE_FILE = re.compile(r"^sqlite(?:\+\w+)?:///(?P<path>[^?%#]+)$")
#: SQLAlchemy's SQLite DATETIME storage format (naive UTC, see :class:`~.base.UTCDateTime`)
_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
BUSY_MS = 5_000


def sqlite_path(url: str) -> Path | None:
    """The database file a SQLite URL names; None for anything else (PostgreSQL, memory, URL options)."""
    found = _SQLITE_FILE.match(url)
    if found is None or found["path"] == ":memory:":
        return None
    return Path(found["path"])


def db_time(when: datetime) -> str:
    """A time as a UTCDateTime column holds it on SQLite."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return when.astimezone(UTC).replace(tzinfo=None).strftime(_FORMAT)


def parse_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class DirectDB:
    """An open SQLite file. It is never created here: a missing file is a :class:`StorageError`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=BUSY_MS / 1000
            )
            # as the engine sets them (see engine._sqlite_pragmas); WAL is a property of the file already
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StorageError(detail=f"{path}: {exc}") from exc

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        try:
            cursor = self.conn.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())
        except sqlite3.Error as exc:
            raise StorageError(detail=f"{type(exc).__name__}: {exc}") from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error, which is raised as a StorageError)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(detail=f"{type(exc).__name__}: {exc}") from exc

    # -- leases: the same conditional writes as mailwarden.db.lease -----------------------------------------
    def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take the lease if it is free, expired or already ours. Returns whether we hold it now."""
        now = clock.now()
        start, until = db_time(now), db_time(now + ttl)
        with self.transaction() as conn:
            inserted = conn.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, holder, start, until),
            )
            if inserted.rowcount == 1:
                return True
            taken = conn.execute(
                "UPDATE leases SET holder = ?, acquired_at = ?, expires_at = ?"
                " WHERE name = ? AND (expires_at < ? OR holder = ?)",
                (holder, start, until, name, start, holder),
            )
            return taken.rowcount == 1

    def release_lease(self, name: str, holder: str) -> bool:
        with self.transaction() as conn:
            return (
                conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)).rowcount == 1
            )

    def close(self) -> None:
        self.conn.close()
