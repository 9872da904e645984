"""Leases: one holder at a time for a named thing, for as long as it keeps renewing.

The sync worker for a mailbox holds ``sync:mailbox:<id>``; a second worker that starts meanwhile sees the
lease is live and leaves the mailbox alone. If the holder dies, the lease expires and another takes it over.
Every step is a conditional write whose row count tells whether we won.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from sqlalchemy import delete, or_, update

from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost
from mailwarden.db.engine import Database
from mailwarden.db.models import Lease

__all__ = ["acquire", "held", "holder_of", "release", "renew", "take_over"]

log = logging.getLogger(__name__)


async def acquire(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take the lease if it is free, expired or already ours. Returns whether we hold it now."""
    now = clock.now()
    values = {"name": name, "holder": holder, "acquired_at": now, "expires_at": now + ttl}
    insert = db.insert(Lease).values(**values)
    async with db.session() as session, session.begin():
        inserted = await session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return True
        taken = await session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.expires_at < now, Lease.holder == holder))
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        )
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


async def renew(db: Database, name: str, holder: str, ttl: timedelta) -> None:
    """Extend a lease we hold. Raises :class:`LeaseLost` if it expired or someone else has it."""
    now = clock.now()
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder, Lease.expires_at >= now)
            .values(expires_at=now + ttl)
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(name=name)


async def release(db: Database, name: str, holder: str) -> bool:
    """Give the lease up, if we still hold it."""
    async with db.session() as session, session.begin():
        result = await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def holder_of(db: Database, name: str) -> str | None:
    """Who holds a live lease on ``name`` (None if nobody, or it expired)."""
    async with db.session() as session:
        lease = await session.get(Lease, name)
    if lease is None or lease.expires_at < clock.now():
        return None
    return lease.holder


async def take_over(db: Database, name: str, old_holder: str, holder: str, ttl: timedelta) -> bool:
    """Take a lease from ``old_holder`` *only if it still holds it* (the caller knows it is dead)."""
    now = clock.now()
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == old_holder)
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def held(
    db: Database,
    name: str,
    holder: str,
    ttl: timedelta,
    *,
    dead: Callable[[str], bool],
    busy: Callable[[str | None], Exception],
) -> AsyncIterator[None]:
    """Hold the lease ``name`` for the block, renewed every third of ``ttl``; the block is cancelled if it is
    lost. A lease held by someone ``dead`` says is gone (a process killed with -9 on this machine) is taken
    over at once; one held by anybody else raises ``busy(holder)``."""
    if not await acquire(db, name, holder, ttl):
        current = await holder_of(db, name)
        if not (current and dead(current) and await take_over(db, name, current, holder, ttl)):
            raise busy(current)
        log.warning("took over the lease %s from %s, which is no longer running", name, current)
    task = asyncio.current_task()
    assert task is not None

    async def keep() -> None:
        while True:
            await asyncio.sleep(ttl.total_seconds() / 3)
            try:
                await renew(db, name, holder, ttl)
            except LeaseLost:
                log.error("lost the lease %s; stopping", name)
                task.cancel(f"lease {name} lost")
                return

    keeper = asyncio.create_task(keep())
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await release(db, name, holder)
