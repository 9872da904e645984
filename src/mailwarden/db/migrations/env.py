"""Alembic environment: runs on the connection handed over by :func:`mailwarden.db.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from mailwarden.db.registry import load_all

config = context.config
target_metadata = load_all()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `mailwarden migrate`, which provides the connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
