"""Rows that people address by a unique name (mailboxes, channels, agents): list, get, remove, one way."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from mailwarden.core.errors import NotFoundError
from mailwarden.db.base import Base
from mailwarden.db.engine import Database

__all__ = ["get_named", "list_named", "remove_named"]

T = TypeVar("T", bound=Base)


async def list_named(db: Database, model: type[T], name: InstrumentedAttribute[Any]) -> list[T]:
    """Every row, ordered by name."""
    async with db.session() as session:
        return list((await session.scalars(select(model).order_by(name))).all())


async def get_named(
    db: Database, model: type[T], column: InstrumentedAttribute[Any], name: str, missing: str
) -> T:
    """The row called ``name``; ``NotFoundError(missing)`` if there is none."""
    async with db.session() as session:
        row = await session.scalar(select(model).where(column == name))
    if row is None:
        raise NotFoundError(missing, name=name)
    return row


async def remove_named(
    db: Database, model: type[T], column: InstrumentedAttribute[Any], name: str, missing: str
) -> None:
    """Delete the row called ``name``; ``NotFoundError(missing)`` if there is none."""
    async with db.session() as session:
        row = await session.scalar(select(model).where(column == name))
        if row is None:
            raise NotFoundError(missing, name=name)
        await session.delete(row)
        await session.commit()
