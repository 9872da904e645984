"""Timeline events read out: one conversation's, and the feed of all of them for integrations and notify.

The feed is ordered by event id, not time: ids only grow, so "after id N" is a cursor that never skips an
event — except one committed out of order on PostgreSQL, which a poller meets on its next call only if its
cursor is behind it. Integrations re-read a short overlap (``after`` a little earlier) and dedupe by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from mailwarden.db.engine import Database
from mailwarden.inbox.events import timeline
from mailwarden.inbox.models import Conversation, InboxEvent
from mailwarden.mailboxes.models import Mailbox

__all__ = ["event_dict", "feed", "view_timeline"]


def event_dict(event: InboxEvent, conversation_uid: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": event.id,
        "conversation_id": event.conversation_id,
        "at": event.at,
        "kind": event.kind,
        "actor": event.actor,
        "detail": dict(event.detail or {}),
    }
    if conversation_uid is not None:
        data["conversation"] = conversation_uid
    return data


async def view_timeline(db: Database, conversation_id: int, uid: str | None = None) -> list[dict[str, Any]]:
    async with db.session() as session:
        return [event_dict(event, uid) for event in await timeline(session, conversation_id)]


async def feed(
    db: Database, *, after: int = 0, limit: int = 100, mailbox_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    query = (
        select(InboxEvent, Conversation.uid, Mailbox.name)
        .join(Conversation, Conversation.id == InboxEvent.conversation_id)
        .join(Mailbox, Mailbox.id == Conversation.mailbox_id)
        .where(InboxEvent.id > after)
    )
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
    async with db.session() as session:
        rows = (await session.execute(query.order_by(InboxEvent.id).limit(limit))).all()
    return [{**event_dict(event, uid), "mailbox": mailbox} for event, uid, mailbox in rows]
