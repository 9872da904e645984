"""Rows as a work queue: claim with one conditional UPDATE, check what came back to know you won.

PostgreSQL selects the candidates ``FOR UPDATE SKIP LOCKED``, so concurrent workers pass each other instead
of queueing on a lock. SQLite serialises writers anyway; the UPDATE re-checks the claim condition so that
a row claimed between the SELECT and the UPDATE is not claimed twice. A claim expires: a worker that died
holding one loses it at ``claimed_until`` and another takes the row over (``attempts`` counts both).

Each function runs its own short transaction, so a claim is visible to other workers as soon as it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update

from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost
from mailwarden.db.engine import Database
from mailwarden.db.models import QueueMixin

__all__ = ["claim", "complete", "fail", "retry_later"]

Q = TypeVar("Q", bound=QueueMixin)


def _claimable(model: type[QueueMixin], now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(model.state == "ready", model.run_after <= now),
        and_(model.state == "claimed", model.claimed_until < now),
    )


async def claim(
    db: Database,
    model: type[Q],
    worker: str,
    *,
    hold: timedelta,
    limit: int = 1,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Q]:
    """Claim up to ``limit`` due rows of ``model`` for ``worker`` for ``hold``. Oldest ``run_after`` first."""
    now = clock.now()
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    candidates = select(pk).where(_claimable(model, now), *where).order_by(model.run_after, pk).limit(limit)
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    # A CTE, not ``IN (subquery)``: PostgreSQL may run an IN-subquery again for each row it updates, and then
    # LIMIT bounds each run, not the claim (one worker took all 60 rows with limit=2 in our test).
    picked = candidates.cte("picked")
    stmt = (
        update(model)
        .where(pk.in_(select(picked.c[pk.key])), _claimable(model, now))
        .values(
            state="claimed",
            claimed_by=worker,
            claimed_until=now + hold,
            attempts=model.attempts + 1,
        )
        .returning(model)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session, session.begin():
        rows = list((await session.execute(stmt)).scalars().all())
    return rows


async def _settle(db: Database, row: QueueMixin, worker: str, values: dict[str, Any]) -> None:
    model = type(row)
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    stmt = (
        update(model)
        .where(pk == getattr(row, pk.key), model.state == "claimed", model.claimed_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session, session.begin():
        result = await session.execute(stmt)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(name=f"{model.__tablename__}:{getattr(row, pk.key)}")  # type: ignore[attr-defined]
    for key, value in values.items():
        setattr(row, key, value)


async def complete(db: Database, row: QueueMixin, worker: str) -> None:
    """Mark a claimed row done. Raises :class:`LeaseLost` if another worker took it over meanwhile."""
    await _settle(db, row, worker, {"state": "done", "claimed_until": None, "last_error": None})


async def retry_later(db: Database, row: QueueMixin, worker: str, error: str, delay: timedelta) -> None:
    """Give a claimed row back, to be tried again after ``delay``; the error stays visible meanwhile."""
    values = {"state": "ready", "claimed_by": None, "claimed_until": None, "last_error": error}
    await _settle(db, row, worker, {**values, "run_after": clock.now() + delay})


async def fail(db: Database, row: QueueMixin, worker: str, error: str) -> None:
    """Give up on a claimed row for good (a permanent error): it stays, failed, with the reason."""
    await _settle(db, row, worker, {"state": "failed", "claimed_until": None, "last_error": error})
