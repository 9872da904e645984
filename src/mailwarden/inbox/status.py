"""Statuses and priority of a conversation: set by agents, reopened by customers, each change on the timeline.

Statuses (database values): ``open`` (waiting on us), ``pending`` (waiting on the customer), ``snoozed``
(set aside until a time, then open again by itself — the SLA worker ends it), ``closed``. Priorities:
``low``, ``normal``, ``high``, ``urgent``; a team's SLA policy may give each its own targets.

Every change is recorded with :func:`.events.record` in the transaction that makes it, and marks the
conversation for the SLA worker (``sla_next_at`` = now): the worker recomputes it at once, and a worker in
another process sees the earlier ``sla_next_at`` at its next cheap check (see :mod:`.sla_worker`).

A customer message that arrives on a pending, snoozed or closed conversation reopens it. The ingest's
placing already sets the row's status (:func:`.place._touch`); :func:`on_placed`, the ingest hook, puts that
change on the timeline (actor ``system:ingest``, at the message's arrival) by comparing the row with the
last status the timeline knows — so whatever moved the status during placing, the timeline says so once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Message
from mailwarden.core import clock
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.models import STATUSES, Conversation, ConversationMessage, InboxEvent
from mailwarden.inbox.place import Placed
from mailwarden.inbox.sla_clock import SlaState
from mailwarden.inbox.sla_history import load_histories, state_of
from mailwarden.inbox.sla_policy import Priority
from mailwarden.inbox.teams import Teams
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "PRIORITIES",
    "PriorityResult",
    "StatusResult",
    "conversation_sla",
    "find_conversation",
    "mark_for_sla",
    "on_placed",
    "set_priority",
    "set_status",
]

PRIORITIES = tuple(p.value for p in Priority)
INGEST_ACTOR = events.system_actor("ingest")


@dataclass
class StatusResult:
    id: int
    uid: str
    status: str
    previous: str
    snoozed_until: datetime | None
    #: False: it already had this status (and snooze end); nothing was recorded
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uid": self.uid,
            "status": self.status,
            "previous": self.previous,
            "snoozed_until": None if self.snoozed_until is None else self.snoozed_until.isoformat(),
            "changed": self.changed,
        }


@dataclass
class PriorityResult:
    id: int
    uid: str
    priority: str
    previous: str
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uid": self.uid,
            "priority": self.priority,
            "previous": self.previous,
            "changed": self.changed,
        }


def mark_for_sla(conversation: Conversation) -> None:
    """Ask the SLA worker to recompute ``conversation`` now (in the caller's transaction).

    Always written, even over an earlier instant: the value read may be stale (SQLite reads outside the
    write lock), and a worker committing its "next instant" in between must not hide this change."""
    conversation.sla_next_at = clock.now()


async def find_conversation(
    session: AsyncSession,
    ident: str | int,
    *,
    mailbox_ids: Sequence[int] | None = None,
    lock: bool = True,
) -> Conversation:
    """A conversation by row id or uid, locked for the change (PostgreSQL; ``lock``); outside
    ``mailbox_ids`` it is not found, like one that does not exist."""
    text = str(ident).strip()
    by_id = text.isdigit() and len(text) <= 12
    query = select(Conversation).where(
        Conversation.id == int(text) if by_id else Conversation.uid == text.lower()
    )
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    found = await session.scalar(query)
    if found is None:
        raise NotFoundError("inbox.conversation_not_found", id=text[:64])
    return found


async def set_status(
    db: Database,
    ident: str | int,
    status: str,
    *,
    until: datetime | None = None,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> StatusResult:
    """Set the status; ``until`` (required for ``snoozed``, in the future; refused otherwise) is when the
    snooze ends by itself. Raises ``InputError``, ``NotFoundError``."""
    if status not in STATUSES:
        raise InputError("inbox.status_unknown", status=status, known=", ".join(STATUSES))
    if status == "snoozed":
        if until is None:
            raise InputError("inbox.slaw.snooze_needs_until")
        if until.tzinfo is None:
            raise InputError("inbox.slaw.until_naive", until=until.isoformat())
        until = as_utc(until)
        if until <= clock.now():
            raise InputError("inbox.slaw.until_past", until=until.isoformat())
    elif until is not None:
        raise InputError("inbox.slaw.until_only_snoozed", status=status)
    async with db.session() as session, session.begin():
        conversation = await find_conversation(session, ident, mailbox_ids=mailbox_ids)
        previous = conversation.status
        same_until = (
            conversation.snoozed_until is not None
            and until is not None
            and (as_utc(conversation.snoozed_until) == until)
        )
        changed = previous != status or (status == "snoozed" and not same_until)
        if changed:
            conversation.status, conversation.snoozed_until = status, until
            detail: dict[str, Any] = {"status": status, "previous": previous}
            if until is not None:
                detail["until"] = until.isoformat()
            await events.record(session, conversation, "status", actor=actor, detail=detail)
            mark_for_sla(conversation)
        return StatusResult(
            conversation.id, conversation.uid, status, previous, conversation.snoozed_until, changed
        )


async def set_priority(
    db: Database,
    ident: str | int,
    priority: str,
    *,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> PriorityResult:
    """Set the priority (the SLA measures the running cycle against its target from now on)."""
    if priority not in PRIORITIES:
        raise InputError("inbox.slaw.priority_unknown", priority=priority, known=", ".join(PRIORITIES))
    async with db.session() as session, session.begin():
        conversation = await find_conversation(session, ident, mailbox_ids=mailbox_ids)
        previous = conversation.priority
        changed = previous != priority
        if changed:
            conversation.priority = priority
            await events.record(
                session, conversation, "priority", actor=actor,
                detail={"priority": priority, "previous": previous},
            )  # fmt: skip
            mark_for_sla(conversation)
        return PriorityResult(conversation.id, conversation.uid, priority, previous, changed)


async def _recorded_status(session: AsyncSession, conversation: Conversation) -> tuple[str, datetime | None]:
    """The status the timeline says the conversation has, and since when: its last status event, else the
    one it was opened with (pending when our own mail opened it, else open)."""
    last = (
        await session.execute(
            select(InboxEvent.detail, InboxEvent.at)
            .where(
                InboxEvent.conversation_id == conversation.id, InboxEvent.kind.in_(["status", "snooze_ended"])
            )
            .order_by(InboxEvent.id.desc())
            .limit(1)
        )
    ).first()
    if last is not None:
        return str(last[0].get("status") or "open"), as_utc(last[1])
    first = await session.scalar(
        select(ConversationMessage.direction)
        .where(ConversationMessage.conversation_id == conversation.id, ConversationMessage.noise == "person")
        .order_by(ConversationMessage.id)
        .limit(1)
    )
    return ("pending" if first == "out" else "open"), None


async def _arrival(session: AsyncSession, placed: Placed) -> datetime:
    """When the message reached the mailbox (the archive's internal date), else its own time."""
    archive_id = placed.message.archive_message_id
    if placed.direction == "in" and archive_id is not None:
        row = (
            await session.execute(
                select(Message.internal_date, Message.archived_at).where(Message.id == archive_id)
            )
        ).first()
        if row is not None and (row[0] or row[1]):
            return as_utc(row[0] or row[1])
    return as_utc(placed.at)


async def on_placed(session: AsyncSession, placed: Placed) -> None:
    """The ingest hook: mark the conversation for the SLA worker, and put on the timeline the status change
    the message made — a customer reopening it, our reply making it pending.

    The change is derived from the message, as :func:`.place._touch` decides it (only the newest message
    moves the status), not read from the row: the ingest calls the hook after placing the whole batch, when
    the row shows only the batch's last word, and a reply and the customer's answer in one batch are two
    changes. "Newest" is among the messages placed before it, as :func:`.place._touch` saw them."""
    if placed.conversation_id is None or placed.noise != "person" or placed.outcome == "already":
        return
    conversation = await session.get(Conversation, placed.conversation_id)
    if conversation is None:
        return
    mark_for_sla(conversation)
    if placed.outcome != "attached" or placed.history:
        # opened: its first status is the baseline (the mailbox's past: filed closed, said by place); a
        # copy or our sent mail seen again moves nothing, nor does the past
        return
    newer = await session.scalar(
        select(ConversationMessage.id)
        .where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.noise == "person",
            ConversationMessage.at > placed.at,
            ConversationMessage.id < placed.message.id,  # placed before it, as _touch saw them
        )
        .limit(1)
    )
    if newer is not None:
        return
    previous, since = await _recorded_status(session, conversation)
    # the customer wrote: waiting on us again; we wrote: waiting on them, if it was waiting on us
    status = "open" if placed.direction == "in" else ("pending" if previous == "open" else previous)
    if status != previous:
        # at the message's arrival — unless an agent changed the status after it arrived and before it was
        # placed (closed it at 10:00, the 09:59 mail ingested at 10:05): the row is open again, and the
        # timeline must say so after the close, or the clock would stay paused while the customer waits
        at = await _arrival(session, placed)
        await events.record(
            session, conversation, "status", actor=INGEST_ACTOR,
            detail={"status": status, "previous": previous, "message_id": placed.message.id},
            at=at if since is None else max(at, since),
        )  # fmt: skip


async def conversation_sla(
    db: Database,
    teams: Teams,
    ident: str | int,
    *,
    at: datetime | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> SlaState | None:
    """The SLA state of one conversation now (or at ``at``), computed from its history: what ``inbox show``
    and the API show (cycles, due times, what fired, what is pending). None: its mailbox has no team."""
    async with db.session() as session:
        conversation = await find_conversation(session, ident, mailbox_ids=mailbox_ids, lock=False)
        mailbox = await session.scalar(select(Mailbox.name).where(Mailbox.id == conversation.mailbox_id))
        team = teams.for_mailbox(mailbox or "")
        if team is None:
            return None
        history = (await load_histories(session, [conversation]))[conversation.id]
    return state_of(conversation, history, team, as_utc(at or clock.now()))
