"""The database half of the outgoing queue: every change of a reply's status, with its timeline event.

Each function is one transaction that first re-checks the claim (``state = 'claimed' AND claimed_by = me``;
a worker that lost its claim — it stalled past ``hold`` and another took the row over — raises
``LeaseLost`` and changes nothing), then writes the new status, and records the event on the
conversation (:func:`.events.record`: timeline + audit chain) in the same transaction.

When the server accepts a reply, :func:`mark_sent` also writes the outgoing inbox message row (direction
``out``, ``archive_message_id`` and ``sha256`` NULL, the Message-ID): when sync later archives the copy
in Sent, :func:`.place.place` finds the row by Message-ID (outcome ``sent_seen``) and gives it its
archive copy instead of adding a second message to the conversation.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.core import clock, i18n
from mailwarden.core.errors import LeaseLost, MailwardenError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.models import Conversation, ConversationMessage
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.smtp.errors import SMTPError

__all__ = ["ACTOR", "error_record", "mark_failed", "mark_filed", "mark_retry", "mark_sending", "mark_sent"]

log = logging.getLogger(__name__)

ACTOR = events.system_actor("reply")


def error_record(exc: MailwardenError, *, stage: str) -> dict[str, Any]:
    """What is kept of a failure: enough to show it in either language, and the server's own words."""
    record: dict[str, Any] = {
        "kind": exc.kind,
        "key": exc.key,
        "message": exc.render(i18n.EN),
        "permanent": exc.permanent,
        "stage": stage,
        "params": {k: v for k, v in exc.params.items() if isinstance(v, str | int | float | bool | None)},
    }
    if isinstance(exc, SMTPError):
        record.update(code=exc.code, enhanced=exc.enhanced, text=exc.text, smtp_stage=exc.stage)
        if exc.refused:
            record["refused"] = {address: str(error.reply) for address, error in exc.refused.items()}
    return record


async def _settle(session: AsyncSession, row: Outgoing, worker: str, **values: Any) -> None:
    result = await session.execute(
        update(Outgoing)
        .where(Outgoing.id == row.id, Outgoing.state == "claimed", Outgoing.claimed_by == worker)
        .values(updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(name=f"inbox_outgoing:{row.id}")
    for key, value in values.items():
        setattr(row, key, value)


async def _conversation(session: AsyncSession, row: Outgoing) -> Conversation:
    conversation = await session.get(Conversation, row.conversation_id)
    assert conversation is not None  # RESTRICT: a conversation with replies is never deleted
    return conversation


async def mark_sending(db: Database, row: Outgoing, worker: str) -> None:
    """Before the SMTP session: ``sending``, so a crash from here on leaves the reply in doubt, not queued."""
    async with db.session() as session, session.begin():
        await _settle(session, row, worker, status="sending", sending_at=clock.now(), sends=row.sends + 1)


async def mark_sent(
    db: Database,
    row: Outgoing,
    worker: str,
    *,
    smtp_reply: str,
    found_in: str | None = None,
) -> None:
    """The server accepted the reply (or it was found sent after a session in doubt: ``found_in``). The
    claim is kept: filing the copy in Sent comes next, by the same worker (or, if it dies, the next)."""
    now = clock.now()
    async with db.session() as session, session.begin():
        await _settle(
            session,
            row,
            worker,
            status="sent",
            sent_at=now,
            smtp_reply=smtp_reply,
            error=None,
            last_error=None,
        )
        conversation = await _conversation(session, row)
        # the ingest may have placed it already: a provider that files submitted mail in Sent itself,
        # archived by sync before this commit (or found in the archive after a session in doubt)
        message = await session.scalar(
            select(ConversationMessage).where(
                ConversationMessage.mailbox_id == row.mailbox_id,
                ConversationMessage.message_id == row.message_id,
                ConversationMessage.direction == "out",
                ConversationMessage.copy_of_id.is_(None),
            )
        )
        if message is None:
            message = ConversationMessage(
                mailbox_id=row.mailbox_id,
                conversation_id=row.conversation_id,
                message_id=row.message_id,
                in_reply_to=row.in_reply_to,
                direction="out",
                noise="person",
                threaded_by="reply",
                contact_id=conversation.contact_id,
                from_addr=row.mail_from,
                from_name=row.agent_name,
                subject=row.subject,
                at=now,
            )
            session.add(message)
            await session.flush()
        row.inbox_message_id = message.id
        await session.execute(
            update(Outgoing).where(Outgoing.id == row.id).values(inbox_message_id=message.id)
        )
        conversation.last_message_at = max(filter(None, (conversation.last_message_at, now)))
        conversation.last_agent_at = now
        detail: dict[str, Any] = {
            "outgoing_id": row.id,
            "message_id": row.message_id,
            "agent": row.agent_name,
        }
        if found_in:
            detail["found_in"] = found_in
        await events.record(session, conversation, "reply_sent", actor=ACTOR, detail=detail, at=now)
        if conversation.status == "open":  # answered: waiting on the customer (as ingest does, place._touch)
            conversation.status = "pending"
            await events.record(
                session,
                conversation,
                "status",
                actor=ACTOR,
                detail={"status": "pending", "previous": "open", "why": "reply_sent"},
                at=now,
            )


async def mark_filed(db: Database, row: Outgoing, worker: str, *, folder: str, already: bool) -> None:
    """The copy is in Sent (APPENDed by us, or ``already`` there: the provider saved it itself)."""
    now = clock.now()
    async with db.session() as session, session.begin():
        await _settle(
            session,
            row,
            worker,
            status="filed",
            filed_at=now,
            sent_folder=folder,
            error=None,
            state="done",
            claimed_until=None,
            last_error=None,
        )
        conversation = await _conversation(session, row)
        detail = {"outgoing_id": row.id, "folder": folder, "already_there": already}
        await events.record(session, conversation, "reply_filed", actor=ACTOR, detail=detail, at=now)


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


async def mark_retry(
    db: Database, row: Outgoing, worker: str, error: dict[str, Any], *, status: str, delay: timedelta
) -> datetime:
    """A temporary failure: tried again after ``delay``. ``status`` is ``queued`` (nothing left), ``sending``
    (in doubt: checked before anything is sent again) or ``sent`` (only the filing failed)."""
    retry_at = clock.now() + delay
    async with db.session() as session, session.begin():
        await _settle(
            session,
            row,
            worker,
            status=status,
            error=error,
            state="ready",
            claimed_by=None,
            claimed_until=None,
            run_after=retry_at,
            last_error=error["message"],
        )
        conversation = await _conversation(session, row)
        detail = {"outgoing_id": row.id, "error": error, "retry_at": retry_at.isoformat(), "status": status}
        await events.record(session, conversation, "reply_failed", actor=ACTOR, detail=detail)
    log.info("reply %s: %s; next attempt at %s", row.id, error["kind"], retry_at.isoformat())
    return retry_at


async def mark_failed(db: Database, row: Outgoing, worker: str, error: dict[str, Any]) -> None:
    """Given up: visible in ``inbox outgoing list``, sent again only by ``inbox outgoing retry``. A reply
    that was sent keeps status ``sent`` (only its filing failed); any other becomes ``failed``."""
    status = "sent" if row.status == "sent" else "failed"
    async with db.session() as session, session.begin():
        await _settle(
            session,
            row,
            worker,
            status=status,
            error=error,
            state="failed",
            claimed_until=None,
            last_error=error["message"],
        )
        conversation = await _conversation(session, row)
        detail = {"outgoing_id": row.id, "error": error, "status": status}
        await events.record(session, conversation, "reply_failed", actor=ACTOR, detail=detail)
    log.warning("reply %s failed for good: %s", row.id, error["kind"])
