"""Several assigners at once (an ingest batch, a queue run, two workers): turns are taken one after the
other — never the same rotation slot twice, never one conversation assigned twice. On PostgreSQL, where
transactions really run side by side; SQLite serialises writers anyway and runs the same test."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from mailwarden.audit.service import verify_chain
from mailwarden.db.engine import Database
from mailwarden.inbox import assign_agents, events
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.ingest import ingest, load_team
from mailwarden.inbox.models import ConversationMessage
from mailwarden.inbox.place import Placed

from inbox_archive import TOKEN_KEY, mail
from inbox_assign_env import Env

AGENTS = ("anna", "bo", "cy", "di")
CONVERSATIONS = 24


async def _opened(env: Env) -> list[Placed]:
    """Conversations opened by a plain ingest (no hook), as the hook would have been given them."""
    await env.archive.add(
        *(mail(f"Inquiry {n}", sender=f"b{n}@company{n}.example") for n in range(CONVERSATIONS))
    )
    await ingest(env.db, env.archive.store, await load_team(env.db, [TOKEN_KEY]))
    async with env.db.session() as session:
        rows = list(await session.scalars(select(ConversationMessage).order_by(ConversationMessage.id)))
    return [Placed("opened", row, "in", "person", row.at) for row in rows]


async def test_concurrent_assigners_never_take_the_same_rotation_slot(db: Database, tmp_path: Path) -> None:
    env = await Env.create(db, tmp_path, agents=AGENTS)
    placed = await _opened(env)

    async def assign(each: Placed, assigner: Assigner) -> None:
        async with db.session() as session, session.begin():
            await assigner.on_placed(session, each)

    # each its own assigner and transaction: as many workers at once
    await asyncio.gather(*(assign(each, env.with_team()) for each in placed))

    rows = await env.events()
    assert len(rows) == CONVERSATIONS and len({row.conversation_id for row in rows}) == CONVERSATIONS
    order = [row.detail["agent"] for row in rows]
    assert Counter(order) == {name: CONVERSATIONS // len(AGENTS) for name in AGENTS}
    assert order[len(AGENTS) :] == order[: -len(AGENTS)]  # one cycle, in commit order: no slot taken twice
    async with db.session() as session:
        assert (await verify_chain(session, events.CHAIN)).ok


async def test_two_queue_runs_at_once_assign_each_conversation_once(db: Database, tmp_path: Path) -> None:
    env = await Env.create(db, tmp_path, agents=AGENTS)
    for name in AGENTS:
        await assign_agents.set_away(db, name, True, actor="t")
    await env.ingest(*(mail(f"Queued {n}", sender=f"q{n}@queued{n}.example") for n in range(12)))
    assert set((await env.assignees()).values()) == {None}
    for name in AGENTS:
        await assign_agents.set_away(db, name, False, actor="t")

    other = Database(str(db.url))
    try:
        first, second = await asyncio.gather(
            env.with_team().assign_waiting(db), env.with_team().assign_waiting(other)
        )
    finally:
        await other.dispose()
    assert len(first.assigned) + len(second.assigned) == 12
    rows = await env.events()
    assert sorted(row.conversation_id for row in rows) == sorted({row.conversation_id for row in rows})
    assert Counter(row.detail["agent"] for row in rows) == {name: 3 for name in AGENTS}


async def test_a_queue_run_and_an_ingest_batch_at_once_both_finish_and_assign_once(
    db: Database, tmp_path: Path
) -> None:
    """GIVEN queued conversations, WHEN the queue runs while a batch attaches customers' follow-ups to them
    and opens new ones, THEN both finish (no lock cycle) and every conversation has one assignment."""
    env = await Env.create(db, tmp_path, agents=AGENTS)
    for name in AGENTS:
        await assign_agents.set_away(db, name, True, actor="t")
    firsts = [mail(f"Queued {n}", sender=f"q{n}@queued{n}.example", message_id=f"q{n}@x") for n in range(8)]
    await env.ingest(*firsts)
    for name in AGENTS:
        await assign_agents.set_away(db, name, False, actor="t")
    follow_ups = [
        mail(f"Re: Queued {n}", sender=f"q{n}@queued{n}.example", in_reply_to=f"q{n}@x") for n in range(8)
    ]
    news = [mail(f"New {n}", sender=f"n{n}@new{n}.example") for n in range(8)]
    await env.archive.add(*follow_ups, *news)
    team = await load_team(db, [TOKEN_KEY])
    other = Database(str(db.url))
    try:
        await asyncio.wait_for(
            asyncio.gather(
                env.with_team().assign_waiting(other),
                ingest(db, env.archive.store, team, batch=4, on_placed=env.assigner.on_placed),
            ),
            timeout=60,
        )
    finally:
        await other.dispose()
    rows = await env.events()
    assert len(rows) == 16 and len({row.conversation_id for row in rows}) == 16
    assert None not in set((await env.assignees()).values())
