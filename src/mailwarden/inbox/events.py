"""A conversation's timeline, written once and read by the SLA clock, the metrics and the views.

Every change to a conversation goes through :func:`record`, inside the transaction that makes the change:
one :class:`~mailwarden.inbox.models.InboxEvent` row (the queryable timeline) and one event in the
hash-chained audit log (chain ``inbox``), so the change, its timeline entry and its audit entry commit or
roll back together. An action that changes nothing records nothing: callers compare before they record.

Views are audited but kept off the timeline (``timeline=False``): who read a conversation is an audit
question, and a timeline of "viewed" rows would bury the changes an agent looks for.

Actors are text, the same as the audit log's: ``agent:<name>``, ``cli:<user>@<host>``, ``api:<token>``,
``system:<part>`` (``system:ingest``, ``system:assign``, ``system:sla``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.audit.service import record as audit_record
from mailwarden.core import clock
from mailwarden.core.errors import InputError
from mailwarden.db.engine import Database
from mailwarden.inbox.models import Conversation, InboxEvent

__all__ = ["CHAIN", "KINDS", "agent_actor", "note_view", "record", "system_actor", "timeline"]

#: the audit chain of the inbox (the archive's is ``audit``)
CHAIN = "inbox"

#: what a timeline entry can say. ``detail`` keys per kind are documented where each is recorded.
KINDS = frozenset(
    {
        "created",  # a conversation opened (by ingest, a split, or an agent writing first)
        "assigned",  # detail: {"agent": name | None, "previous": name | None, "why": rule | "manual" ...}
        "queued",  # nobody could take it: waiting in the team queue; detail: {"team", "why", "back_at"?}
        "status",  # detail: {"status", "previous", "until"?}
        "priority",  # detail: {"priority", "previous"}
        "note",  # detail: {"note_id", "mentions": [names]}
        "tagged",  # detail: {"tag"}
        "untagged",  # detail: {"tag"}
        "reply_queued",  # detail: {"outgoing_id", "agent"}
        "reply_sent",  # detail: {"outgoing_id", "message_id"}
        "reply_failed",  # detail: {"outgoing_id", "error", "retry_at"?}
        "reply_filed",  # the copy APPENDed to Sent; detail: {"outgoing_id", "folder"}
        "merged",  # detail: {"from" | "into": uid, "messages": n}
        "split",  # detail: {"from" | "into": uid, "messages": [ids]}
        "sla_due_soon",  # detail: the timer (``Timer.as_dict()``)
        "sla_breach",  # detail: the timer
        "snooze_ended",  # detail: {"until"}
        "viewed",  # audit only (see the module docstring)
    }
)


#: kinds that can move an SLA clock: recording one asks the SLA worker to recompute the conversation now
#: (:func:`mailwarden.inbox.status.mark_for_sla`), whoever records it — the reply worker, an assignment,
#: a merge — so no part has to remember to
CLOCK_KINDS = frozenset({"created", "assigned", "status", "priority", "reply_sent", "merged", "split"})


def agent_actor(name: str) -> str:
    return f"agent:{name}"


def system_actor(part: str) -> str:
    return f"system:{part}"


async def record(
    session: AsyncSession,
    conversation: Conversation,
    kind: str,
    *,
    actor: str,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    timeline: bool = True,
) -> InboxEvent | None:
    """Record ``kind`` on ``conversation`` in the caller's transaction (the caller commits).

    Returns the timeline row, or None for an audit-only event (``timeline=False``). ``conversation`` must
    have an id (flushed). ``at`` defaults to now; pass it when the change took effect at another instant
    (a message's arrival)."""
    if kind not in KINDS:
        raise InputError("inbox.event_unknown", kind=kind)
    if conversation.id is None:
        await session.flush()
    if kind in CLOCK_KINDS:
        conversation.sla_next_at = clock.now()
    clean = dict(detail or {})
    audit = await audit_record(
        session,
        actor=actor,
        action=f"inbox.{kind}",
        target=f"conversation:{conversation.uid}",
        detail=clean,
        chain=CHAIN,
    )
    if not timeline:
        return None
    event = InboxEvent(
        conversation_id=conversation.id,
        at=at or clock.now(),
        kind=kind,
        actor=actor,
        detail=clean,
        audit_seq=audit.seq,
    )
    session.add(event)
    await session.flush()
    return event


async def timeline(
    session: AsyncSession, conversation_ids: int | Sequence[int], *, kinds: Sequence[str] | None = None
) -> list[InboxEvent]:
    """The timeline of one conversation (or several, for merged views and metrics), oldest first."""
    ids = [conversation_ids] if isinstance(conversation_ids, int) else list(conversation_ids)
    query = select(InboxEvent).where(InboxEvent.conversation_id.in_(ids))
    if kinds is not None:
        query = query.where(InboxEvent.kind.in_(list(kinds)))
    return list(await session.scalars(query.order_by(InboxEvent.at, InboxEvent.id)))


async def note_view(db: Database, conversation_id: int, *, actor: str) -> None:
    """Audit that ``actor`` read the conversation (its own short transaction, after the read)."""
    async with db.session() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is not None:
            await record(session, conversation, "viewed", actor=actor, timeline=False)
