"""Alembic, driven from our code: no alembic.ini to find, the same path for SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from mailwarden.core.errors import StorageError
from mailwarden.db.engine import Database

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("mailwarden.db").joinpath("migrations")))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    def read(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations up to ``revision``. Returns (before, after) revisions."""
    cfg = alembic_config()

    def run(conn: Connection) -> tuple[str | None, str | None]:
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        return before, MigrationContext.configure(conn).get_current_revision()

    try:
        async with db.engine.begin() as conn:
            return await conn.run_sync(run)
    except SQLAlchemyError as exc:
        raise StorageError(detail=f"migration failed: {exc}") from exc
