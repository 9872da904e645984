"""The stdlib-sqlite3 access of the quick check writes times and reads URLs as SQLAlchemy does."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from mailwarden.db.direct import db_time, parse_db_time, sqlite_path


def test_times_are_stored_in_the_orm_format() -> None:
    when = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=timezone(timedelta(hours=8)))
    orm = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert orm is not None
    assert db_time(when) == orm(when.astimezone(UTC).replace(tzinfo=None))
    assert parse_db_time(db_time(when)) == when
    with pytest.raises(ValueError, match="naive"):
        db_time(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite+aiosqlite:////srv/mw/mailwarden.db", Path("/srv/mw/mailwarden.db")),
        ("sqlite:///data/mw.db", Path("data/mw.db")),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("sqlite:///a.db?mode=ro", None),
        ("sqlite:////a%20b.db", None),
        ("postgresql+asyncpg://u@h/db", None),
        ("postgresql://u:p@h/sqlite:///x", None),
    ],
)
def test_only_a_plain_sqlite_file_is_served(url: str, path: Path | None) -> None:
    assert sqlite_path(url) == path
