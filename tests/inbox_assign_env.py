"""What the assignment tests share: a mailbox with an archive, agents, a notify channel (so that alerts
land in the outbox), teams from settings, and the real ingest with the assigner's hook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mailwarden.access.models import Agent
from mailwarden.access.service import add_agent
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.core.settings import InboxSettings
from mailwarden.db.engine import Database
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.ingest import IngestReport, ingest, load_team
from mailwarden.inbox.models import Conversation, InboxEvent
from mailwarden.notify import service as notify
from mailwarden.notify.models import OutboxItem

from inbox_archive import TOKEN_KEY, FilledArchive

#: open every hour of every day, in UTC: tests that are not about hours are not at the mercy of the clock
ALWAYS = {"timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}


def teams_settings(**team: Any) -> InboxSettings:
    return InboxSettings.model_validate({"teams": {"sales": {"hours": ALWAYS, **team}}})


@dataclass
class Env:
    db: Database
    archive: FilledArchive
    assigner: Assigner

    @classmethod
    async def create(
        cls, db: Database, root: Path, agents: tuple[str, ...] = ("anna", "bo", "cy"), **team: Any
    ) -> Env:
        from mailwarden.inbox.teams import Teams

        archive = await FilledArchive.create(db, root)
        for name in agents:
            await add_agent(
                db, name, f"{name}@example.test", timezone="Europe/Berlin", ims=[f"feishu:ou_{name}"]
            )
        box = SecretBox.from_text(generate_key(), "test")
        spec = notify.ChannelSpec(
            name="team-chat", kind="webhook", url="http://127.0.0.1:9/hook", allow_private=True
        )
        await notify.add_channel(db, box, spec, private_targets=True)
        return cls(db, archive, Assigner(Teams(teams_settings(**team))))

    def with_team(self, **team: Any) -> Assigner:
        from mailwarden.inbox.teams import Teams

        return Assigner(Teams(teams_settings(**team)))

    async def ingest(self, *raws: bytes, folder: str = "INBOX", db: Database | None = None) -> IngestReport:
        """Archive ``raws`` and ingest them with the assigner's hook (``db``: another engine object, as
        after a restart)."""
        await self.archive.add(*raws, folder=folder)
        database = db or self.db
        team = await load_team(database, [TOKEN_KEY])
        return await ingest(database, self.archive.store, team, on_placed=self.assigner.on_placed)

    async def assignees(self) -> dict[str, str | None]:
        """Subject -> assignee name, for every conversation."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(Conversation.subject, Agent.name).outerjoin(
                    Agent, Agent.id == Conversation.assignee_id
                )
            )
            return {subject: name for subject, name in rows.all()}

    async def events(self, kind: str = "assigned") -> list[InboxEvent]:
        async with self.db.session() as session:
            return list(
                await session.scalars(
                    select(InboxEvent).where(InboxEvent.kind == kind).order_by(InboxEvent.id)
                )
            )

    async def outbox(self) -> list[OutboxItem]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))

    async def conversation(self, subject: str) -> Conversation:
        async with self.db.session() as session:
            found = await session.scalar(select(Conversation).where(Conversation.subject == subject))
            assert found is not None, subject
            return found
