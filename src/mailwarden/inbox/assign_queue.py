"""Reading the team queue: conversations nobody could take yet, oldest first, with why and until when.

``mailbox_ids`` limits it to the mailboxes a reader may see (None: all), as everywhere in the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mailwarden.db.engine import Database
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.models_assign import AssignQueue
from mailwarden.mailboxes.models import Mailbox

__all__ = ["QueuedConversation", "list_queue"]


@dataclass(frozen=True)
class QueuedConversation:
    conversation_id: int
    uid: str
    subject: str
    mailbox: str
    team: str
    queued_at: datetime
    #: when an agent is expected back (None: nobody is, by the clock)
    retry_at: datetime | None
    why: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "uid": self.uid,
            "subject": self.subject,
            "mailbox": self.mailbox,
            "team": self.team,
            "queued_at": self.queued_at.isoformat(),
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "why": self.why,
        }


async def list_queue(
    db: Database, *, team: str | None = None, mailbox_ids: Sequence[int] | None = None
) -> list[QueuedConversation]:
    query = (
        select(AssignQueue, Conversation.uid, Conversation.subject, Mailbox.name)
        .join(Conversation, Conversation.id == AssignQueue.conversation_id)
        .join(Mailbox, Mailbox.id == Conversation.mailbox_id)
        .where(Conversation.status != "closed", Conversation.assignee_id.is_(None))
        .order_by(AssignQueue.queued_at, AssignQueue.conversation_id)
    )
    if team is not None:
        query = query.where(AssignQueue.team == team)
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [
        QueuedConversation(
            entry.conversation_id,
            uid,
            subject,
            mailbox,
            entry.team,
            entry.queued_at,
            entry.retry_at,
            dict(entry.why),
        )
        for entry, uid, subject, mailbox in rows
    ]
