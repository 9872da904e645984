"""Acceptance (issue 6), through the database and the worker: SLA with a frozen clock across a weekend and a
Chinese public holiday, for a team in Asia/Shanghai and a customer in Europe/Berlin. Archived messages ->
ingest (with the status hook) -> the worker's tick at several frozen instants: the due times are right, and
each due-soon and breach is ONE outbox row and ONE timeline event — after ticking again, and with two
workers ticking at once, on SQLite and PostgreSQL.

The instants are the ones tests/unit/inbox/test_inbox_sla_acceptance.py derives by hand for the pure clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.inbox import sla_worker
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.sla_worker import TickReport, tick
from mailwarden.inbox.status import set_priority, set_status
from mailwarden.inbox.teams import Teams

from inbox_archive import FilledArchive, mail
from inbox_slaw_env import (
    add_agent,
    add_channel,
    arrive,
    assign,
    cet,
    conversation,
    cst,
    ingest_with_hook,
    kinds,
    outbox_items,
    outbox_keys,
    shanghai_teams,
    timeline_keys,
)

TEAMS = shanghai_teams()
#: Fri 2026-02-13 19:00 Berlin (CET) = 18:00 UTC = Sat 02-14 02:00 Shanghai, a make-up working day (调休)
FRIDAY = cet(2026, 2, 13, 19)
#: 6 h of Saturday's hours: 16:30 Shanghai
DUE_SOON = datetime(2026, 2, 14, 8, 30, tzinfo=UTC)
#: Saturday gives 7.5 h; Sun 02-15 .. Mon 02-23 are the Spring Festival holiday; 0.5 h on Tue 02-24
DUE = datetime(2026, 2, 24, 1, 30, tzinfo=UTC)
US = "Sales <sales@example.test>"


@pytest.fixture
async def archive(db: Database, tmp_path: Path) -> FilledArchive:
    return await FilledArchive.create(db, tmp_path)


async def _inquiry(archive: FilledArchive, at: datetime = FRIDAY, message_id: str = "q1@weber") -> int:
    await arrive(archive, mail("LED panels", message_id=message_id, at=at), at)
    with clock.frozen(at + timedelta(minutes=1)):
        await ingest_with_hook(archive)
    async with archive.db.session() as session:
        found = await session.scalar(select(Conversation.id).order_by(Conversation.id.desc()))
    assert found is not None
    return found


async def _tick(db: Database, at: datetime, report: TickReport | None = None) -> datetime | None:
    with clock.frozen(at):
        return await tick(db, TEAMS, at, report=report)


async def test_spring_festival_due_soon_and_breach_once_each(archive: FilledArchive) -> None:
    db = archive.db
    await add_channel(db)
    agent = await add_agent(db, "li")
    conversation_id = await _inquiry(archive)
    await assign(db, conversation_id, agent)
    row = await conversation(db, conversation_id)
    assert row.sla_next_at is not None  # the hook asked the worker to look

    arrived = FRIDAY + timedelta(minutes=1)
    assert await _tick(db, arrived) == DUE_SOON
    row = await conversation(db, conversation_id)
    assert (row.sla_next_at, row.sla_due_at, row.sla_outcome) == (DUE_SOON, DUE, "running")
    assert await outbox_keys(db) == {}

    # woken early (a restart, another conversation): nothing is due, nothing is written
    assert await _tick(db, DUE_SOON - timedelta(microseconds=1)) == DUE_SOON
    assert await outbox_keys(db) == {}

    key = f"sla/{row.uid}/first_response/0"
    assert await _tick(db, DUE_SOON) == DUE
    assert await outbox_keys(db) == {f"{key}/due_soon": 1}
    [item] = await outbox_items(db)
    assert item.alert_kind == "sla.due_soon"
    assert item.alert["params"]["due"] == DUE.isoformat()
    assert [m["name"] for m in item.alert["mentions"]] == ["li"]
    assert item.alert["mentions"][0]["ids"] == {"dingtalk": "li-dt"}

    # ticking again at the same instant, and in the middle of the holiday, emits nothing more
    assert await _tick(db, DUE_SOON) == DUE
    assert await _tick(db, cst(2026, 2, 20, 12)) == DUE
    assert await outbox_keys(db) == {f"{key}/due_soon": 1}

    assert await _tick(db, DUE) is None
    assert await _tick(db, DUE + timedelta(days=7)) is None
    assert await outbox_keys(db) == {f"{key}/due_soon": 1, f"{key}/breach": 1}
    assert await timeline_keys(db) == {f"{key}/due_soon": 1, f"{key}/breach": 1}
    assert [k for k, _ in await kinds(db, conversation_id)] == ["sla_due_soon", "sla_breach"]
    row = await conversation(db, conversation_id)
    assert (row.sla_next_at, row.sla_outcome) == (None, "breached")


async def test_a_late_worker_catches_up_with_one_breach_alert(archive: FilledArchive) -> None:
    """A worker down from before the due-soon until after the breach: both land on the timeline, but only
    the breach is announced (a due-soon after the breach tells nobody anything)."""
    db = archive.db
    await add_channel(db)
    await _inquiry(archive)
    row = await conversation(db)
    report = TickReport()
    assert await _tick(db, DUE + timedelta(hours=1), report) is None
    key = f"sla/{row.uid}/first_response/0"
    assert await outbox_keys(db) == {f"{key}/breach": 1}
    assert await timeline_keys(db) == {f"{key}/due_soon": 1, f"{key}/breach": 1}
    assert (report.recorded, report.alerted) == (2, 1)


async def test_two_workers_ticking_at_once_emit_each_event_once(
    archive: FilledArchive, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve inquiries, all past their due time; two workers (two engines, as two processes) tick at the
    same instant, twice over, claiming two conversations per transaction so that their batches interleave:
    one outbox row and one timeline event per key, and every conversation computed once."""
    monkeypatch.setattr(sla_worker, "BATCH", 2)
    await add_channel(db)
    for n in range(12):
        await arrive(archive, mail(f"Inquiry {n}", message_id=f"q{n}@weber", at=FRIDAY), FRIDAY)
    with clock.frozen(FRIDAY + timedelta(minutes=1)):
        await ingest_with_hook(archive)
    second = Database(str(db.url.render_as_string(hide_password=False)))
    try:
        at = DUE + timedelta(minutes=5)
        with clock.frozen(at):
            reports = [TickReport() for _ in range(4)]
            await asyncio.gather(
                tick(db, TEAMS, at, report=reports[0]),
                tick(second, TEAMS, at, report=reports[1]),
                tick(db, TEAMS, at, report=reports[2]),
                tick(second, TEAMS, at, report=reports[3]),
            )
    finally:
        await second.dispose()
    assert sum(r.computed for r in reports) == 12  # a claim lost would compute some twice
    keys = await outbox_keys(db)
    assert len(keys) == 12 and set(keys.values()) == {1}
    assert all(key.endswith("/breach") for key in keys)
    events = await timeline_keys(db)
    assert len(events) == 24 and set(events.values()) == {1}


async def test_pending_pauses_and_the_customers_reply_reopens(archive: FilledArchive) -> None:
    """National Day: the customer writes Fri 09-25 20:00 Berlin (Sat 02:00 Shanghai); we answer Mon 09-28
    10:00; they answer Wed 09-30 17:00 (next response, 4 h); an agent sets it pending at 17:30 (0.5 h used):
    paused, nothing scheduled through the holiday. Their mail of Thu 10-08 10:00 reopens it (recorded by
    system:ingest) and the clock runs on with 3.5 h left: due soon 14:00, breach 15:00 Shanghai."""
    db = archive.db
    await add_channel(db)
    first = cet(2026, 9, 25, 20)
    conversation_id = await _inquiry(archive, first, "n1@weber")
    reply = mail(
        "Re: LED panels", sender=US, to="anna@weber-gmbh.de", message_id="r1@example.test",
        in_reply_to="n1@weber", references=["n1@weber"], at=cst(2026, 9, 28, 10),
    )  # fmt: skip
    await arrive(archive, reply, cst(2026, 9, 28, 10), folder="Sent")
    answer = mail(
        "Re: LED panels", message_id="n2@weber", in_reply_to="r1@example.test",
        references=["n1@weber", "r1@example.test"], at=cst(2026, 9, 30, 17),
    )  # fmt: skip
    await arrive(archive, answer, cst(2026, 9, 30, 17))
    with clock.frozen(cst(2026, 9, 30, 17, 1)):
        await ingest_with_hook(archive)
    # due soon at 3 h: 17:00-18:00, then Oct 1-7 off, then 09:00-11:00 on Thu 10-08
    assert await _tick(db, cst(2026, 9, 30, 17, 1)) == cst(2026, 10, 8, 11)
    with clock.frozen(cst(2026, 9, 30, 17, 30)):
        result = await set_status(db, conversation_id, "pending", actor="agent:li")
    assert (result.previous, result.status, result.changed) == ("open", "pending", True)
    assert await _tick(db, cst(2026, 9, 30, 17, 30)) is None  # paused with no end: nothing to wake for
    row = await conversation(db, conversation_id)
    assert (row.sla_outcome, row.sla_due_at) == ("paused", None)

    again = mail(
        "Re: LED panels", message_id="n3@weber", in_reply_to="r1@example.test",
        references=["n1@weber", "r1@example.test"], at=cst(2026, 10, 8, 10),
    )  # fmt: skip
    await arrive(archive, again, cst(2026, 10, 8, 10))
    with clock.frozen(cst(2026, 10, 8, 10, 1)):
        await ingest_with_hook(archive)
    row = await conversation(db, conversation_id)
    assert row.status == "open"
    timeline = await kinds(db, conversation_id)
    assert timeline[-1] == ("status", "system:ingest")
    assert await _tick(db, cst(2026, 10, 8, 10, 1)) == cst(2026, 10, 8, 14)
    assert await _tick(db, cst(2026, 10, 8, 14)) == cst(2026, 10, 8, 15)
    assert await _tick(db, cst(2026, 10, 8, 15)) is None
    key = f"sla/{row.uid}/next_response/1"
    assert await outbox_keys(db) == {f"{key}/due_soon": 1, f"{key}/breach": 1}


async def test_a_snooze_wakes_by_itself(archive: FilledArchive) -> None:
    """Snoozed at Mon 03-02 10:00 Shanghai (1 h used of 8) until Wed 03-04 09:00: the worker wakes at 09:00,
    records snooze_ended, the conversation is open again and the clock runs on: 5 h more for the due-soon
    (09:00-12:00, 13:30-15:30), 7 h for the breach (-> 17:30)."""
    db = archive.db
    monday = cst(2026, 3, 2, 9)
    conversation_id = await _inquiry(archive, monday, "s1@weber")
    assert await _tick(db, monday + timedelta(minutes=1)) == cst(2026, 3, 2, 16, 30)  # 6 h: 3 + 3
    with clock.frozen(cst(2026, 3, 2, 10)):
        await set_status(db, conversation_id, "snoozed", until=cst(2026, 3, 4, 9), actor="agent:li")
    assert await _tick(db, cst(2026, 3, 2, 10)) == cst(2026, 3, 4, 9)
    assert await _tick(db, cst(2026, 3, 4, 9)) == cst(2026, 3, 4, 15, 30)
    row = await conversation(db, conversation_id)
    assert (row.status, row.snoozed_until, row.sla_due_at) == ("open", None, cst(2026, 3, 4, 17, 30))
    assert [k for k, a in await kinds(db, conversation_id) if a == "system:sla"] == ["snooze_ended"]


async def test_raising_the_priority_brings_the_breach_forward(archive: FilledArchive) -> None:
    """Urgent: 2 h for the first response. Raised at Mon 03-02 10:00 (1 h used): due soon at 1.5 h
    (10:30), breach at 11:00 Shanghai."""
    db = archive.db
    conversation_id = await _inquiry(archive, cst(2026, 3, 2, 9), "u1@weber")
    await _tick(db, cst(2026, 3, 2, 9, 1))
    with clock.frozen(cst(2026, 3, 2, 10)):
        result = await set_priority(db, conversation_id, "urgent", actor="agent:li")
    assert (result.previous, result.priority) == ("normal", "urgent")
    assert await _tick(db, cst(2026, 3, 2, 10)) == cst(2026, 3, 2, 10, 30)
    row = await conversation(db, conversation_id)
    assert row.sla_due_at == cst(2026, 3, 2, 11)


async def test_run_wakes_on_the_event_and_stops(archive: FilledArchive) -> None:
    """The loop itself: started with nothing due it computes the adopted conversation, then sleeps; a
    poke of ``wake`` makes it look again; ``stop`` ends it promptly."""
    from mailwarden.core.settings import Settings

    db = archive.db
    await _inquiry(archive, cst(2026, 3, 2, 9), "w1@weber")
    async with db.session() as session, session.begin():
        row = await session.scalar(select(Conversation))
        assert row is not None
        row.sla_next_at = None  # as made before the worker existed: never computed
    stop, wake = asyncio.Event(), asyncio.Event()
    settings = Settings.model_validate({"inbox": {"sla": {"check_seconds": 30}}})
    task = asyncio.create_task(sla_worker.run(db, settings, stop=stop, wake=wake, teams=TEAMS))
    for _ in range(200):
        if (await conversation(db)).sla_computed_at is not None:
            break
        await asyncio.sleep(0.05)
    first = (await conversation(db)).sla_computed_at
    assert first is not None
    async with db.session() as session, session.begin():
        await session.execute(
            Conversation.__table__.update().values(sla_next_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    wake.set()
    for _ in range(200):
        if (await conversation(db)).sla_computed_at != first:
            break
        await asyncio.sleep(0.05)
    second = (await conversation(db)).sla_computed_at
    assert second != first
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_run_sees_a_change_made_by_another_process(archive: FilledArchive) -> None:
    """No wake event: a change committed elsewhere (sla_next_at set to now) is seen at the next check."""
    from mailwarden.core.settings import Settings

    db = archive.db
    await _inquiry(archive, clock.now() - timedelta(hours=1), "x1@weber")  # running: the loop reads the time
    stop = asyncio.Event()
    settings = Settings.model_validate({"inbox": {"sla": {"check_seconds": 0.1}}})
    task = asyncio.create_task(sla_worker.run(db, settings, stop=stop, teams=TEAMS))
    try:
        for _ in range(200):
            if (await conversation(db)).sla_computed_at is not None:
                break
            await asyncio.sleep(0.05)
        first = (await conversation(db)).sla_computed_at
        assert first is not None
        with clock.frozen(clock.now()):
            await set_status(db, 1, "closed", actor="cli:test")  # as another process would
        for _ in range(200):
            row = await conversation(db)
            if row.sla_computed_at != first:
                break
            await asyncio.sleep(0.05)
        assert row.sla_computed_at != first and row.sla_outcome == "paused"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_changed_targets_are_picked_up_at_the_workers_start(archive: FilledArchive) -> None:
    """Computed under 8 h; the settings now say 4 h: the worker's start reschedules the conversation and
    the next tick moves the due time from Tue 09:30 to Mon 14:30 (09:00-12:00, 13:30-14:30)."""
    db = archive.db
    await _inquiry(archive, cst(2026, 3, 2, 9), "p1@weber")
    await _tick(db, cst(2026, 3, 2, 9, 1))
    assert (await conversation(db)).sla_due_at == cst(2026, 3, 3, 9, 30)
    with clock.frozen(cst(2026, 3, 2, 9, 2)):
        assert await sla_worker.adopt(db, TEAMS) == 0  # the same policy: nothing to redo
        faster = shanghai_teams(first_response="4h")
        assert await sla_worker.adopt(db, faster) == 1
        await tick(db, faster)
    assert (await conversation(db)).sla_due_at == cst(2026, 3, 2, 14, 30)


async def test_a_mailbox_taken_on_by_a_team_gets_its_clocks_at_the_next_start(archive: FilledArchive) -> None:
    """Ingested while no team answered ``sales``: no clock. A team configured for it later: the worker's
    start schedules the conversation, and it gets its due time."""
    from mailwarden.core.settings import InboxSettings, TeamSettings

    db = archive.db
    nobody = Teams(InboxSettings(teams={"support": TeamSettings(mailboxes=["support"])}))
    await _inquiry(archive, cst(2026, 3, 2, 9), "t1@weber")
    with clock.frozen(cst(2026, 3, 2, 9, 1)):
        await tick(db, nobody)
        assert (await conversation(db)).sla_due_at is None
        assert await sla_worker.adopt(db, nobody) == 0
        assert await sla_worker.adopt(db, TEAMS) == 1
        await tick(db, TEAMS)
    assert (await conversation(db)).sla_due_at == cst(2026, 3, 3, 9, 30)
