"""A small team inbox for the collaboration tests: a mailbox with conversations made by the real ingest,
agents with chat identities, and a notify channel whose outbox the mention alerts land in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from mailwarden.access.service import add_agent
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.db.engine import Database
from mailwarden.inbox.ingest import IngestReport, ingest, load_team
from mailwarden.inbox.models import Conversation, ConversationMessage
from mailwarden.notify import service as notify
from mailwarden.notify.models import OutboxItem

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail


@dataclass
class Team:
    archive: FilledArchive

    @property
    def db(self) -> Database:
        return self.archive.db

    async def ingest(self) -> IngestReport:
        team = await load_team(self.db, [TOKEN_KEY])
        return await ingest(self.db, self.archive.store, team)

    async def conversations(self, *, include_merged: bool = True) -> list[Conversation]:
        async with self.db.session() as session:
            query = select(Conversation).order_by(Conversation.id)
            if not include_merged:
                query = query.where(Conversation.merged_into_id.is_(None))
            return list(await session.scalars(query))

    async def messages(self) -> list[ConversationMessage]:
        async with self.db.session() as session:
            return list(await session.scalars(select(ConversationMessage).order_by(ConversationMessage.id)))

    async def placement(self) -> dict[str, int | None]:
        """Message-ID -> conversation id, for every inbox message."""
        return {m.message_id or str(m.id): m.conversation_id for m in await self.messages()}

    async def outbox(self) -> list[OutboxItem]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def make_team(db: Database, tmp_path: Path, *, channel: bool = True) -> Team:
    """GIVEN agents Li Lei (DingTalk, Feishu), 王芳 (WeCom) and Anna Weber (Slack), a DingTalk channel, and
    two conversations in sales@: Anna Weber's inquiry with our answer and her reply (q1, r1, q2), and
    Claire Martin's (f1)."""
    await add_agent(db, "Li Lei", "li@example.test", timezone="Asia/Shanghai",
                    ims=["dingtalk:13800138000", "feishu:ou_li"])  # fmt: skip
    await add_agent(db, "王芳", "wang@example.test", ims=["wecom:wangfang"])
    await add_agent(db, "Anna Weber", "aw@example.test", ims=["slack:U0ANNA"])
    if channel:
        box = SecretBox.from_text(generate_key(), "test")
        spec = notify.ChannelSpec(
            name="sales-dingtalk", kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=x"
        )
        await notify.add_channel(db, box, spec)
    archive = await FilledArchive.create(db, tmp_path)
    team = Team(archive)
    await archive.add(mail("LED panels for 40 shops", message_id="q1@weber", at=later(0)))
    await archive.add(
        mail("Re: LED panels for 40 shops", sender="Sales <sales@example.test>", to="anna@weber-gmbh.de",
             message_id="r1@example.test", in_reply_to="q1@weber", at=later(30)),
        folder="Sent",
    )  # fmt: skip
    await archive.add(
        mail("Re: Re: LED panels for 40 shops", message_id="q2@weber", in_reply_to="r1@example.test",
             at=later(60))
    )  # fmt: skip
    await archive.add(
        mail("Demande de prix", sender="Claire Martin <claire@lumiere-sarl.fr>", message_id="f1@lumiere",
             at=later(90))
    )  # fmt: skip
    report = await team.ingest()
    assert report.outcomes["opened"] == 2, report.as_dict()
    return team
