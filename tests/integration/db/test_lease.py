import asyncio
from datetime import timedelta

import pytest

from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost
from mailwarden.db import lease
from mailwarden.db.engine import Database

TTL = timedelta(seconds=60)


async def test_only_one_of_many_concurrent_acquirers_wins(db: Database) -> None:
    engines = [Database(db.url.render_as_string(hide_password=False)) for _ in range(5)]
    try:
        won = await asyncio.gather(
            *(lease.acquire(e, "sync:mailbox:1", f"w{i}", TTL) for i, e in enumerate(engines))
        )
    finally:
        for e in engines:
            await e.dispose()
    assert won.count(True) == 1
    assert await lease.holder_of(db, "sync:mailbox:1") == f"w{won.index(True)}"


async def test_a_live_lease_is_not_taken_over(db: Database) -> None:
    with clock.frozen(clock.now()) as frozen:
        assert await lease.acquire(db, "m", "a", TTL)
        frozen.advance(timedelta(seconds=59))
        assert not await lease.acquire(db, "m", "b", TTL)
        assert await lease.holder_of(db, "m") == "a"


async def test_an_expired_lease_is_taken_over_and_the_old_holder_knows(db: Database) -> None:
    with clock.frozen(clock.now()) as frozen:
        assert await lease.acquire(db, "m", "a", TTL)
        frozen.advance(timedelta(seconds=61))
        assert await lease.holder_of(db, "m") is None
        assert await lease.acquire(db, "m", "b", TTL)
        with pytest.raises(LeaseLost):
            await lease.renew(db, "m", "a", TTL)
        assert not await lease.release(db, "m", "a")
        assert await lease.holder_of(db, "m") == "b"


async def test_renewing_keeps_a_lease_alive_past_its_first_expiry(db: Database) -> None:
    with clock.frozen(clock.now()) as frozen:
        assert await lease.acquire(db, "m", "a", TTL)
        for _ in range(3):
            frozen.advance(timedelta(seconds=45))
            await lease.renew(db, "m", "a", TTL)
        assert not await lease.acquire(db, "m", "b", TTL)


async def test_a_released_lease_is_free_at_once(db: Database) -> None:
    assert await lease.acquire(db, "m", "a", TTL)
    assert await lease.release(db, "m", "a")
    assert await lease.acquire(db, "m", "b", TTL)


async def test_the_holder_may_acquire_again(db: Database) -> None:
    assert await lease.acquire(db, "m", "a", TTL)
    assert await lease.acquire(db, "m", "a", TTL)


async def test_take_over_only_from_the_holder_named(db: Database) -> None:
    assert await lease.acquire(db, "m", "dead", TTL)
    assert not await lease.take_over(db, "m", "someone-else", "me", TTL)
    assert await lease.take_over(db, "m", "dead", "me", TTL)
    assert await lease.holder_of(db, "m") == "me"
