import asyncio
from datetime import timedelta

import pytest

from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost
from mailwarden.db import queue
from mailwarden.db.engine import Database
from mailwarden.db.models import Job


async def _add_jobs(db: Database, n: int, **values: object) -> None:
    async with db.session() as session:
        session.add_all(Job(kind="test", payload={"n": i}, **values) for i in range(n))
        await session.commit()


async def test_two_concurrent_claimers_never_get_the_same_row(db: Database) -> None:
    """GIVEN 60 ready jobs WHEN 6 workers on their own engines claim until empty THEN each job went to one."""
    await _add_jobs(db, 60)
    engines = [Database(db.url.render_as_string(hide_password=False)) for _ in range(6)]
    start = asyncio.Barrier(len(engines))

    async def worker(name: str, mine: Database) -> list[int]:
        async with mine.engine.connect():  # connect first, so that no worker starts late
            pass
        await start.wait()
        got: list[int] = []
        while rows := await queue.claim(mine, Job, name, hold=timedelta(minutes=5), limit=2):
            got.extend(r.id for r in rows)
            await asyncio.sleep(0.002)  # the "work": lets the other workers in between claims
        return got

    try:
        results = await asyncio.gather(*(worker(f"w{i}", e) for i, e in enumerate(engines)))
    finally:
        for e in engines:
            await e.dispose()
    claimed = [job for r in results for job in r]
    assert len(claimed) == 60
    assert len(set(claimed)) == 60
    assert sum(1 for r in results if r) >= 2, "the claims were not actually concurrent"


async def test_a_row_is_not_claimed_before_run_after(db: Database) -> None:
    await _add_jobs(db, 1, run_after=clock.now() + timedelta(hours=1))
    assert await queue.claim(db, Job, "w", hold=timedelta(minutes=1)) == []


async def test_an_expired_claim_is_taken_over_and_a_live_one_is_not(db: Database) -> None:
    await _add_jobs(db, 1)
    with clock.frozen(clock.now()) as frozen:
        [first] = await queue.claim(db, Job, "crashed", hold=timedelta(minutes=5))
        frozen.advance(timedelta(minutes=4))
        assert await queue.claim(db, Job, "other", hold=timedelta(minutes=5)) == []
        frozen.advance(timedelta(minutes=2))
        [again] = await queue.claim(db, Job, "other", hold=timedelta(minutes=5))
    assert again.id == first.id
    assert again.claimed_by == "other"
    assert again.attempts == 2


async def test_a_worker_that_lost_its_claim_cannot_complete_it(db: Database) -> None:
    await _add_jobs(db, 1)
    with clock.frozen(clock.now()) as frozen:
        [row] = await queue.claim(db, Job, "slow", hold=timedelta(seconds=30))
        frozen.advance(timedelta(minutes=1))
        [taken] = await queue.claim(db, Job, "fast", hold=timedelta(seconds=30))
        with pytest.raises(LeaseLost):
            await queue.complete(db, row, "slow")
        await queue.complete(db, taken, "fast")
    async with db.session() as session:
        job = await session.get(Job, row.id)
    assert job is not None and job.state == "done"


async def test_retry_later_keeps_the_error_and_waits(db: Database) -> None:
    await _add_jobs(db, 1)
    with clock.frozen(clock.now()) as frozen:
        [row] = await queue.claim(db, Job, "w", hold=timedelta(minutes=1))
        await queue.retry_later(db, row, "w", "server said [UNAVAILABLE]", timedelta(minutes=10))
        assert await queue.claim(db, Job, "w", hold=timedelta(minutes=1)) == []
        frozen.advance(timedelta(minutes=11))
        [again] = await queue.claim(db, Job, "w", hold=timedelta(minutes=1))
    assert again.last_error == "server said [UNAVAILABLE]"
    assert again.attempts == 2


async def test_a_failed_row_stays_with_its_reason(db: Database) -> None:
    await _add_jobs(db, 1)
    [row] = await queue.claim(db, Job, "w", hold=timedelta(minutes=1))
    await queue.fail(db, row, "w", "bot removed from the group")
    assert await queue.claim(db, Job, "w", hold=timedelta(minutes=1)) == []
    async with db.session() as session:
        job = await session.get(Job, row.id)
    assert job is not None and (job.state, job.last_error) == ("failed", "bot removed from the group")


async def test_a_claim_takes_no_more_than_its_limit(db: Database) -> None:
    """PostgreSQL once re-ran an IN-subquery per row, so ``limit=2`` claimed every ready row."""
    await _add_jobs(db, 10)
    rows = await queue.claim(db, Job, "w", hold=timedelta(minutes=1), limit=2)
    assert [r.payload["n"] for r in rows] == [0, 1]
    rest = await queue.claim(db, Job, "w2", hold=timedelta(minutes=1), limit=100)
    assert len(rest) == 8
