"""What the SLA worker and metrics tests share: the Shanghai team of the acceptance line, mail that arrives in
the archive at a given instant (the server's internal date), an ingest with the status hook, a notify
channel to count outbox rows, and readers of the outbox and the timeline."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailwarden.access.models import Agent, AgentIdentity
from mailwarden.archive import service as archive_service
from mailwarden.archive.meta import meta_of
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.core.settings import InboxSettings, TeamSettings
from mailwarden.db.engine import Database
from mailwarden.inbox.ingest import IngestReport, ingest, load_team
from mailwarden.inbox.models import Conversation, InboxEvent
from mailwarden.inbox.status import on_placed
from mailwarden.inbox.teams import Teams
from mailwarden.notify import service as notify_service
from mailwarden.notify.models import OutboxItem

from inbox_archive import TOKEN_KEY, FilledArchive

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def cst(*args: int) -> datetime:
    """Shanghai wall time."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def cet(*args: int) -> datetime:
    """Berlin wall time (CET or CEST, whichever holds then)."""
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


SHANGHAI_HOURS = {
    "timezone": "Asia/Shanghai",
    "country": "CN",
    "hours": {"mon-fri": "09:00-12:00, 13:30-18:00"},
}
SLA = {"first_response": "8h", "next_response": "4h", "priority": {"urgent": {"first_response": "2h"}}}


def shanghai_teams(**sla: object) -> Teams:
    """One team, ``sales``, answering the mailbox ``sales``: Shanghai hours, CN holidays and 调休."""
    team = TeamSettings(mailboxes=["sales"], hours=SHANGHAI_HOURS, sla={**SLA, **sla})
    return Teams(InboxSettings(teams={"sales": team}))


async def arrive(archive: FilledArchive, raw: bytes, arrived: datetime, *, folder: str = "INBOX") -> None:
    """Archive ``raw`` as the server received it at ``arrived`` (its IMAP internal date)."""
    uids = archive.uids.setdefault(folder, itertools.count(1))
    copy = archive_service.ArchivedCopy(
        uid=next(uids),
        blob=archive.store.put(raw),
        flags=[],
        internal_date=arrived,
        modseq=None,
        meta=meta_of(raw),
    )
    await archive_service.store_batch(archive.db, archive.store, archive.folders[folder], [copy])


async def ingest_with_hook(archive: FilledArchive) -> IngestReport:
    team = await load_team(archive.db, [TOKEN_KEY])
    return await ingest(archive.db, archive.store, team, on_placed=on_placed)


async def add_channel(db: Database, name: str = "sales-hook") -> None:
    box = SecretBox.from_text(generate_key(), "test")
    spec = notify_service.ChannelSpec(name=name, kind="webhook", url="https://hooks.example.com/mw")
    await notify_service.add_channel(db, box, spec)


async def add_agent(db: Database, name: str = "li", *, timezone: str = "Asia/Shanghai") -> int:
    async with db.session() as session, session.begin():
        agent = Agent(name=name, email=f"{name}@example.test", timezone=timezone)
        agent.identities.append(AgentIdentity(kind="dingtalk", ident=f"{name}-dt"))
        session.add(agent)
        await session.flush()
        return agent.id


async def assign(db: Database, conversation_id: int, agent_id: int) -> None:
    async with db.session() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.assignee_id = agent_id


async def outbox_keys(db: Database) -> Counter[str]:
    """Outbox rows per alert key (a key queued twice for a channel would count 2)."""
    async with db.session() as session:
        return Counter(await session.scalars(select(OutboxItem.alert_key)))


async def outbox_items(db: Database) -> list[OutboxItem]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def timeline_keys(db: Database) -> Counter[str]:
    """SLA timeline events per timer key."""
    async with db.session() as session:
        rows = await session.scalars(
            select(InboxEvent).where(InboxEvent.kind.in_(["sla_due_soon", "sla_breach"]))
        )
        return Counter(str(row.detail["key"]) for row in rows)


async def kinds(db: Database, conversation_id: int) -> list[tuple[str, str]]:
    """The timeline as (kind, actor), after the ingest's ``created`` (every conversation starts with it)."""
    async with db.session() as session:
        rows = await session.scalars(
            select(InboxEvent).where(InboxEvent.conversation_id == conversation_id).order_by(InboxEvent.id)
        )
        found = [(row.kind, row.actor) for row in rows]
    assert found[:1] == [("created", "system:ingest")], found
    return found[1:]


async def conversation(db: Database, conversation_id: int | None = None) -> Conversation:
    async with db.session() as session:
        query = select(Conversation).order_by(Conversation.id)
        if conversation_id is not None:
            query = query.where(Conversation.id == conversation_id)
        found = (await session.scalars(query)).first()
        assert found is not None
        return found
