"""Statuses and priority through the service functions the CLI and the API call: checks, no-ops, the
timeline and audit entries, scoping by mailbox, and the ingest hook's reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailwarden.audit.service import verify_chain
from mailwarden.core import clock
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.status import conversation_sla, set_priority, set_status

from inbox_archive import FilledArchive, mail
from inbox_slaw_env import arrive, conversation, cst, ingest_with_hook, kinds, shanghai_teams

NOW = cst(2026, 3, 2, 10)
US = "Sales <sales@example.test>"


@pytest.fixture
async def archive(db: Database, tmp_path: Path) -> FilledArchive:
    archive = await FilledArchive.create(db, tmp_path)
    await arrive(
        archive, mail("LED panels", message_id="q1@weber", at=cst(2026, 3, 2, 9)), cst(2026, 3, 2, 9)
    )
    with clock.frozen(NOW):
        await ingest_with_hook(archive)
    return archive


@pytest.mark.parametrize(
    ("status", "until", "key"),
    [
        ("archived", None, "inbox.status_unknown"),
        ("snoozed", None, "inbox.slaw.snooze_needs_until"),
        ("snoozed", datetime(2026, 3, 3, 9), "inbox.slaw.until_naive"),
        ("snoozed", NOW - timedelta(seconds=1), "inbox.slaw.until_past"),
        ("snoozed", NOW, "inbox.slaw.until_past"),
        ("closed", NOW + timedelta(days=1), "inbox.slaw.until_only_snoozed"),
    ],
)
async def test_bad_statuses_are_refused(
    archive: FilledArchive, status: str, until: datetime | None, key: str
) -> None:
    with clock.frozen(NOW), pytest.raises(InputError) as caught:
        await set_status(archive.db, 1, status, until=until, actor="agent:li")
    assert caught.value.key == key
    assert await kinds(archive.db, 1) == []


async def test_a_change_is_recorded_once_and_audited(archive: FilledArchive) -> None:
    db = archive.db
    row = await conversation(db)
    with clock.frozen(NOW):
        first = await set_status(db, row.uid, "closed", actor="agent:li")
        same = await set_status(db, str(row.id), "closed", actor="agent:li")
        snoozed = await set_status(db, row.id, "snoozed", until=NOW + timedelta(days=1), actor="agent:li")
        later = await set_status(db, row.id, "snoozed", until=NOW + timedelta(days=2), actor="agent:li")
        high = await set_priority(db, row.id, "high", actor="agent:li")
        still = await set_priority(db, row.id, "high", actor="agent:li")
        with pytest.raises(InputError):
            await set_priority(db, row.id, "whenever", actor="agent:li")
    assert (first.changed, same.changed, snoozed.changed, later.changed) == (True, False, True, True)
    assert later.snoozed_until == (NOW + timedelta(days=2)).astimezone(UTC)
    assert (high.previous, high.changed, still.changed) == ("normal", True, False)
    assert await kinds(db, row.id) == [("status", "agent:li")] * 3 + [("priority", "agent:li")]
    async with db.session() as session:
        [*_, last_status, prio] = await events.timeline(session, row.id)
        assert last_status.detail == {
            "status": "snoozed", "previous": "snoozed", "until": "2026-03-04T02:00:00+00:00"
        }  # fmt: skip
        assert prio.detail == {"priority": "high", "previous": "normal"}
        assert (await verify_chain(session, events.CHAIN)).ok
    assert (await conversation(db)).sla_next_at == NOW


async def test_outside_the_readers_mailboxes_it_does_not_exist(archive: FilledArchive) -> None:
    with pytest.raises(NotFoundError):
        await set_status(archive.db, 1, "closed", actor="agent:li", mailbox_ids=[])
    with pytest.raises(NotFoundError):
        await set_priority(archive.db, 1, "high", actor="agent:li", mailbox_ids=[archive.mailbox.id + 1])
    with pytest.raises(NotFoundError):
        await set_status(archive.db, "999", "closed", actor="agent:li")
    with pytest.raises(NotFoundError):
        await conversation_sla(archive.db, shanghai_teams(), 1, mailbox_ids=[])
    assert (await conversation(archive.db)).status == "open"


async def test_our_reply_and_the_customers_answer_are_on_the_timeline(archive: FilledArchive) -> None:
    """Our reply makes it pending, the customer's answer opens it again: both by system:ingest, at the
    messages' instants; the SLA state shows cycle 0 met and cycle 1 running."""
    db = archive.db
    reply = mail(
        "Re: LED panels", sender=US, to="anna@weber-gmbh.de", message_id="r1@example.test",
        in_reply_to="q1@weber", at=cst(2026, 3, 2, 10),
    )  # fmt: skip
    await arrive(archive, reply, cst(2026, 3, 2, 10), folder="Sent")
    answer = mail(
        "Re: LED panels", message_id="q2@weber", in_reply_to="r1@example.test", at=cst(2026, 3, 2, 11)
    )
    await arrive(archive, answer, cst(2026, 3, 2, 11, 5))  # the server's receipt, not the Date, counts
    with clock.frozen(cst(2026, 3, 2, 12)):
        await ingest_with_hook(archive)
        state = await conversation_sla(db, shanghai_teams(), 1)
    async with db.session() as session:
        timeline = await events.timeline(session, 1, kinds=["status"])
    assert [(e.kind, e.actor, e.detail["previous"], e.detail["status"]) for e in timeline] == [
        ("status", "system:ingest", "open", "pending"),
        ("status", "system:ingest", "pending", "open"),
    ]
    assert [e.at for e in timeline] == [cst(2026, 3, 2, 10), cst(2026, 3, 2, 11, 5)]
    assert state is not None
    assert [(c.number, c.outcome.value) for c in state.cycles] == [(0, "met"), (1, "running")]
    assert state.cycles[1].started_at == cst(2026, 3, 2, 11, 5)


async def test_a_message_that_arrived_before_a_close_but_was_placed_after_reopens_it(
    archive: FilledArchive,
) -> None:
    """Closed by an agent at 10:00; the customer's mail of 09:59 is ingested at 10:05. Placing reopens the
    row; the timeline records it after the close (10:00), so the clock runs again instead of staying paused
    with the conversation shown open."""
    db = archive.db
    with clock.frozen(cst(2026, 3, 2, 10)):
        await set_status(db, 1, "closed", actor="agent:li")
    late = mail("Re: LED panels", message_id="q2@weber", in_reply_to="q1@weber", at=cst(2026, 3, 2, 9, 59))
    await arrive(archive, late, cst(2026, 3, 2, 9, 59))
    with clock.frozen(cst(2026, 3, 2, 10, 5)):
        await ingest_with_hook(archive)
        state = await conversation_sla(db, shanghai_teams(), 1)
    assert (await conversation(db)).status == "open"
    async with db.session() as session:
        *_, reopened = await events.timeline(session, 1)
    assert (reopened.detail["previous"], reopened.detail["status"]) == ("closed", "open")
    assert reopened.at == cst(2026, 3, 2, 10)
    assert state is not None and state.status.value == "open"
    assert state.current is not None and state.current.outcome.value == "running"
