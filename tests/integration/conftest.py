"""Fixtures shared by the integration tests: a migrated database on each engine."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database on each engine we support: SQLite in a temp dir, PostgreSQL in the lab."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mw.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    database = Database(url)
    await upgrade(database)
    yield database
    await database.dispose()
