"""The async engine and sessions, with SQLite tuned for a service (WAL, foreign keys, busy timeout)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from mailwarden.core.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["Database", "normalize_url"]

SQLITE_BUSY_MS = 30_000


def normalize_url(url: str) -> URL:
    """Accept the URLs people write (``postgresql://``, ``sqlite:///``) and pick our async drivers."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(detail=f"database_url is not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ConfigError(detail=f"database_url: {backend} is not supported; use SQLite or PostgreSQL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    finally:
        cursor.close()


class Database:
    """One engine per process and database. ``session()`` is the way in."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        # A server connection can die between uses (a restart, an idle timeout): ping it on checkout. A
        # SQLite file cannot, and the ping was one more thread round trip on every archive commit.
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite and self.url.database:
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose storage failures surface as :class:`StorageError`."""
        try:
            async with self.sessions() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StorageError(detail=f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}") from exc
        except OSError as exc:
            raise StorageError(detail=str(exc)) from exc

    def insert(self, table: Any) -> sqlite.Insert | postgresql.Insert:
        """INSERT in this engine's dialect, for ``on_conflict_do_nothing`` (both engines have it)."""
        # imported here, and only the one in use: the other dialect's module alone takes 0.1 s to import
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.dispose()
