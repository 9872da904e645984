from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from mailwarden.db.engine import Database
from mailwarden.db.migrate import current_revision, head_revision, upgrade
from mailwarden.db.registry import load_all


async def test_the_migrations_create_exactly_the_models(db: Database) -> None:
    """A model changed without a migration (or the reverse) is caught here, on both engines."""

    def diff(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, load_all()))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_upgrading_twice_changes_nothing(db: Database) -> None:
    assert await current_revision(db) == head_revision()
    before, after = await upgrade(db)
    assert before == after == head_revision()


async def test_a_file_database_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'new' / 'mw.db'}") as db:
        await upgrade(db)
        async with db.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    assert (mode, fks) == ("wal", 1)
