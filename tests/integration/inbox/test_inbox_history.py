"""A mailbox's past (``[inbox] backlog_days``): mail the server received long before the mailbox was added is
placed — threads, contacts, search — but filed closed: nobody is handed it, no alert announces it, no SLA
clock runs on it; a customer who writes again makes it work like any new inquiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.audit.service import verify_chain
from mailwarden.core import clock
from mailwarden.core.settings import InboxSettings
from mailwarden.db.engine import Database
from mailwarden.inbox import events, sla_worker
from mailwarden.inbox.assign_queue import list_queue
from mailwarden.inbox.ingest import IngestReport, ingest, team_for
from mailwarden.inbox.models import Conversation, ConversationMessage
from mailwarden.inbox.place import HISTORY_ACTOR
from mailwarden.inbox.teams import Teams
from mailwarden.workers.service import placed_hook

from inbox_archive import TOKEN_KEY, mail
from inbox_assign_env import ALWAYS, Env
from inbox_slaw_env import arrive

ADDED = datetime(2026, 6, 11, 9, 0, tzinfo=UTC)  # when the mailbox was added to mailwarden
OLD = ADDED - timedelta(days=10)
RECENT = ADDED - timedelta(days=1)  # inside the backlog window (3 days): still work


class History:
    def __init__(self, env: Env, backlog_days: float | None = 3) -> None:
        self.env, self.db = env, env.db
        self.settings = InboxSettings.model_validate(
            {
                "backlog_days": backlog_days,
                "teams": {"sales": {"hours": ALWAYS, "sla": {"first_response": "2h"}}},
            }
        )
        self.teams = Teams(self.settings)

    async def arrive(self, raw: bytes, at: datetime, folder: str = "INBOX") -> None:
        await arrive(self.env.archive, raw, at, folder=folder)

    async def ingest(self) -> IngestReport:
        team = await team_for(self.db, [TOKEN_KEY], self.settings)
        hook = placed_hook(self.env.assigner)  # as the worker runs it
        return await ingest(self.db, self.env.archive.store, team, on_placed=hook)

    async def state(self, subject: str) -> tuple[str, str | None]:
        conversation = await self.env.conversation(subject)
        return conversation.status, (await self.env.assignees())[subject]

    async def alerts(self) -> list[tuple[str, str]]:
        return [(item.alert["kind"], item.alert_key) for item in await self.env.outbox()]


@pytest.fixture
async def history(db: Database, tmp_path: Path) -> AsyncIterator[History]:
    with clock.frozen(ADDED):
        yield History(await Env.create(db, tmp_path))


async def test_the_past_is_filed_closed_and_only_recent_mail_is_work(history: History) -> None:
    await history.arrive(mail("Old inquiry", message_id="old@weber", at=OLD), OLD, folder="INBOX")
    answer = mail(
        "Re: Old inquiry", sender="sales@example.test", to="anna@weber-gmbh.de", in_reply_to="old@weber",
        at=OLD + timedelta(hours=1),
    )  # fmt: skip
    await history.arrive(answer, OLD + timedelta(hours=1), folder="Sent")
    forgotten = mail("Forgotten inquiry", sender="John <john@acme.co.uk>", message_id="f@acme", at=OLD)
    await history.arrive(forgotten, OLD + timedelta(days=2))
    await history.arrive(mail("Recent inquiry", sender="Li <li@trade.cn>", at=RECENT), RECENT)
    history.env.assigner = history.env.with_team(hours=ALWAYS, sla={"first_response": "2h"})
    report = await history.ingest()
    assert report.outcomes["opened"] == 3 and report.outcomes["attached"] == 1

    assert await history.state("Old inquiry") == ("closed", None)
    assert await history.state("Forgotten inquiry") == ("closed", None)
    status, recent_agent = await history.state("Recent inquiry")
    assert status == "open" and recent_agent is not None
    assert await list_queue(history.db) == []  # filed, not waiting for anyone
    recent = await history.env.conversation("Recent inquiry")
    assert await history.alerts() == [("inquiry.new", f"inquiry/{recent.uid}")]
    filed = await history.env.events("status")
    assert [(e.actor, e.detail["status"], e.detail.get("history")) for e in filed] == [
        (HISTORY_ACTOR, "closed", True),
        (HISTORY_ACTOR, "closed", True),
    ]
    async with history.db.session() as session:
        flags = dict(
            (await session.execute(select(ConversationMessage.subject, ConversationMessage.history))).all()
        )
        assert flags == {
            "Old inquiry": True, "Re: Old inquiry": True, "Forgotten inquiry": True, "Recent inquiry": False
        }  # fmt: skip

    # two days on: the recent inquiry is overdue and said so; the past, never answered or not, is not
    await sla_worker.tick(history.db, history.teams, ADDED + timedelta(days=2))
    assert sorted(kind for kind, _ in await history.alerts()) == ["inquiry.new", "sla.breach"]
    assert all(key.startswith(("inquiry/", f"sla/{recent.uid}")) for _, key in await history.alerts()), (
        await history.alerts()
    )

    # the customer of the forgotten inquiry writes again: now it is work, handed out and announced
    again = ADDED + timedelta(days=2, hours=1)
    follow_up = mail("Re: Forgotten inquiry", sender="John <john@acme.co.uk>", in_reply_to="f@acme", at=again)
    with clock.frozen(again):
        await history.arrive(follow_up, again)
        await history.ingest()
    status, agent = await history.state("Forgotten inquiry")
    assert status == "open" and agent is not None
    forgotten_uid = (await history.env.conversation("Forgotten inquiry")).uid
    assert ("inquiry.new", f"inquiry/{forgotten_uid}") in await history.alerts()
    reopened = (await history.env.events("status"))[-1]
    assert (reopened.actor, reopened.detail["status"], reopened.detail["previous"]) == (
        events.system_actor("ingest"),
        "open",
        "closed",
    )
    async with history.db.session() as session:
        assert (await verify_chain(session, events.CHAIN)).ok


async def test_the_past_arriving_after_the_present_moves_nothing(history: History) -> None:
    # the sync may archive a thread's newest message first: an older message of the same thread from the
    # mailbox's past then attaches, and must neither close nor reopen what is going on now
    history.env.assigner = history.env.with_team(hours=ALWAYS)
    await history.arrive(mail("Order", message_id="o@weber", at=RECENT), RECENT)
    await history.ingest()
    order = await history.env.conversation("Order")
    assert order.status == "open" and order.assignee_id is not None
    old = mail("Re: Order", message_id="o0@weber", references=["o@weber"], in_reply_to="o@weber", at=OLD)
    await history.arrive(old, OLD)
    report = await history.ingest()
    assert report.outcomes["attached"] == 1
    async with history.db.session() as session:
        now = await session.get(Conversation, order.id)
        assert now is not None and (now.status, now.assignee_id) == ("open", order.assignee_id)
    assert [e.actor for e in await history.env.events("status")] == []


async def test_without_a_backlog_window_everything_is_work(db: Database, tmp_path: Path) -> None:
    with clock.frozen(ADDED):
        history = History(await Env.create(db, tmp_path), backlog_days=None)
        history.env.assigner = history.env.with_team(hours=ALWAYS)
        await history.arrive(mail("Old inquiry", at=OLD), OLD)
        await history.ingest()
    status, agent = await history.state("Old inquiry")
    assert status == "open" and agent is not None
