"""The outgoing queue as people see it: the replies, newest first, and trying a failed one again
(:mod:`.reply` queues them, :mod:`.outgoing` sends them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.models_reply import OUTGOING_STATUSES, Outgoing
from mailwarden.mailboxes.models import Mailbox

__all__ = ["OutgoingView", "list_outgoing", "retry"]

MAX_LIST = 500


@dataclass
class OutgoingView:
    id: int
    conversation_id: int
    conversation_uid: str
    mailbox: str
    agent: str
    status: str
    message_id: str
    subject: str
    rcpt_to: list[str]
    attempts: int
    sends: int
    #: when the worker tries next (None: nothing left to do, or given up)
    next_attempt_at: datetime | None
    error: dict[str, Any] | None
    smtp_reply: str | None
    sent_folder: str | None
    created_at: datetime
    sent_at: datetime | None
    filed_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _view(row: Outgoing, conversation_uid: str, mailbox: str) -> OutgoingView:
    return OutgoingView(
        id=row.id,
        conversation_id=row.conversation_id,
        conversation_uid=conversation_uid,
        mailbox=mailbox,
        agent=row.agent_name,
        status=row.status,
        message_id=row.message_id,
        subject=row.subject,
        rcpt_to=list(row.rcpt_to),
        attempts=row.attempts,
        sends=row.sends,
        next_attempt_at=row.run_after if row.state in ("ready", "claimed") else None,
        error=row.error,
        smtp_reply=row.smtp_reply,
        sent_folder=row.sent_folder,
        created_at=row.created_at,
        sent_at=row.sent_at,
        filed_at=row.filed_at,
    )


async def _conversation(
    session: AsyncSession, ident: str | int, mailbox_ids: Sequence[int] | None
) -> Conversation:
    text = str(ident).strip()
    by_id = text.isdigit() and len(text) <= 12
    query = select(Conversation).where(
        Conversation.id == int(text) if by_id else Conversation.uid == text.lower()
    )
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(mailbox_ids))
    found = await session.scalar(query)
    if found is None:
        raise NotFoundError("inbox.conversation_not_found", id=text[:64])
    return found


async def list_outgoing(
    db: Database,
    *,
    status: str | None = None,
    conversation: str | int | None = None,
    mailbox_ids: Sequence[int] | None = None,
    limit: int = 50,
) -> list[OutgoingView]:
    """Replies, newest first; ``status`` one of :data:`OUTGOING_STATUSES`."""
    if status is not None and status not in OUTGOING_STATUSES:
        raise InputError("inbox.reply.status_unknown", status=status, known=", ".join(OUTGOING_STATUSES))
    if not 1 <= limit <= MAX_LIST:
        raise InputError("inbox.page_invalid", maximum=MAX_LIST)
    async with db.session() as session:
        query = (
            select(Outgoing, Conversation.uid, Mailbox.name)
            .options(defer(Outgoing.raw))  # up to max_bytes each: not for a list
            .join(Conversation, Conversation.id == Outgoing.conversation_id)
            .join(Mailbox, Mailbox.id == Outgoing.mailbox_id)
        )
        if status is not None:
            query = query.where(Outgoing.status == status)
        if conversation is not None:
            found = await _conversation(session, conversation, mailbox_ids)
            query = query.where(Outgoing.conversation_id == found.id)
        if mailbox_ids is not None:
            query = query.where(Outgoing.mailbox_id.in_(mailbox_ids))
        rows = (await session.execute(query.order_by(Outgoing.id.desc()).limit(limit))).all()
    return [_view(row, uid, mailbox) for row, uid, mailbox in rows]


async def retry(
    db: Database, outgoing_id: int, *, actor: str, mailbox_ids: Sequence[int] | None = None
) -> OutgoingView:
    """Try a failed reply again now (or, for a sent one whose filing failed, the filing). A reply held in
    doubt is sent again: the person asking has decided. Raises ``NotFoundError``, ``ConflictError`` when
    the reply has not failed."""
    async with db.session() as session, session.begin():
        row = await session.get(Outgoing, outgoing_id)
        if row is None or (mailbox_ids is not None and row.mailbox_id not in mailbox_ids):
            raise NotFoundError("inbox.reply.outgoing_not_found", id=outgoing_id)
        if row.state != "failed":
            raise ConflictError("inbox.reply.not_failed", id=outgoing_id, status=row.status)
        status = "sent" if row.status == "sent" else "queued"
        await session.execute(
            update(Outgoing)
            .where(Outgoing.id == row.id, Outgoing.state == "failed")
            .values(
                status=status,
                state="ready",
                run_after=clock.now(),
                attempts=0,
                claimed_by=None,
                claimed_until=None,
                updated_at=clock.now(),
            )
        )
        conversation = await session.get(Conversation, row.conversation_id)
        mailbox = await session.get(Mailbox, row.mailbox_id)
        assert conversation is not None and mailbox is not None
        await events.record(
            session,
            conversation,
            "reply_queued",
            actor=actor,
            detail={"outgoing_id": row.id, "agent": row.agent_name, "retry": True, "previous": row.error},
        )
        await session.refresh(row)
        return _view(row, conversation.uid, mailbox.name)
