"""What the inbox tests share: ``db``, a migrated database on each engine — SQLite, and the lab's PostgreSQL
(``postgres`` marker). A module that needs one engine only defines its own ``db``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'm.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    await upgrade(database)
    yield database
    await database.dispose()
