"""Recording audit events and verifying the chain on SQLite and PostgreSQL, tampered with by raw SQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from mailwarden.audit.query import list_events
from mailwarden.audit.service import local_actor, record, verify_chain
from mailwarden.db.engine import Database


async def append(db: Database, n: int, action: str = "archive.export") -> None:
    for i in range(n):
        async with db.session() as session, session.begin():
            await record(session, actor="cli:test@lab", action=action, target=f"sales {i}", detail={"i": i})


async def verify(db: Database, expect_head: str | None = None) -> dict[str, object]:
    async with db.session() as session:
        return (await verify_chain(session, expect_head=expect_head)).as_dict()


async def test_events_chain_from_one_and_verify(db: Database) -> None:
    await append(db, 3)
    report = await verify(db)
    assert report["ok"] and report["events"] == 3 and report["head_seq"] == 3
    assert await verify(db, expect_head=str(report["head_hash"])) == {**report, "anchor_seq": 3}


async def test_an_event_rolled_back_with_its_action_leaves_no_gap(db: Database) -> None:
    await append(db, 1)
    async with db.session() as session, session.begin():
        await record(session, actor="a", action="archive.purge.execute", target="batch 1")
        await session.rollback()
    await append(db, 1)
    report = await verify(db)
    assert report["ok"] and report["events"] == 2


async def test_a_deleted_event_is_named_by_its_seq(db: Database) -> None:
    await append(db, 4)
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    broken = (await verify(db))["broken"]
    assert broken == {"kind": "missing", "seq": 2, "detail": "the next event present is 3"}


async def test_events_deleted_at_the_end_are_found_by_the_head(db: Database) -> None:
    await append(db, 4)
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_events WHERE seq >= 3"))
    broken = (await verify(db))["broken"]
    assert isinstance(broken, dict) and (broken["kind"], broken["seq"]) == ("truncated", 3)


async def test_a_rewritten_head_is_caught_by_the_anchor_written_down_before(db: Database) -> None:
    await append(db, 3)
    anchor = str((await verify(db))["head_hash"])
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
        await conn.execute(
            text("UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)")
        )
    assert (await verify(db))["ok"]  # self-consistent: only the anchor can tell
    broken = (await verify(db, expect_head=anchor))["broken"]
    assert isinstance(broken, dict) and broken["kind"] == "anchor"


async def test_a_changed_detail_breaks_at_that_event(db: Database) -> None:
    await append(db, 3)
    async with db.engine.begin() as conn:
        await conn.execute(text("""UPDATE audit_events SET detail = '{"i": 9}' WHERE seq = 2"""))
    broken = (await verify(db))["broken"]
    assert isinstance(broken, dict) and (broken["kind"], broken["seq"]) == ("modified", 2)


async def test_concurrent_appenders_take_turns(db: Database) -> None:
    """GIVEN 8 writers appending 5 events each at once, each in its own transaction
    THEN the chain holds 40 events numbered 1-40 without a gap, and verifies."""
    await asyncio.gather(*(append(db, 5, action=f"archive.view.{w}") for w in range(8)))
    report = await verify(db)
    assert report["ok"] and report["events"] == report["head_seq"] == 40


def test_the_local_actor_names_user_and_host() -> None:
    actor = local_actor()
    assert actor.startswith("cli:") and "@" in actor


async def test_events_are_listed_newest_first_by_action_prefix(db: Database) -> None:
    await append(db, 2, action="archive.purge.schedule")
    await append(db, 1, action="archive.purger")  # not under archive.purge
    await append(db, 1, action="archive.purge")
    async with db.session() as session:
        found = await list_events(session, action="archive.purge")
        assert [e.seq for e in found] == [4, 2, 1]
        assert [e.seq for e in await list_events(session, limit=2)] == [4, 3]
        assert await list_events(session, actor="someone else") == []
