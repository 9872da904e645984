"""A conversation's history, read from the tables, as the plain events :func:`.sla_clock.compute` reads.

What counts (see :mod:`.sla_policy`):

- a **customer message** is an incoming person message (``direction`` "in", ``noise`` "person", not a copy),
  counted from when it *arrived in the mailbox*: the archived copy's internal date (the server's receipt),
  else when we archived it, else the message's own time. Its Date header is the sender's clock and may be
  wrong or forged; an SLA that a customer's clock can move is no SLA.
- **our reply** is an outgoing person message, at its own time (we wrote its Date). Who replied: the agent
  the reply queue recorded for that Message-ID (``reply_queued``/``reply_sent`` events), else whoever was
  assigned at that instant — a shared address sends from ``sales@``, so its From names no agent.
- messages of the mailbox's **history** (received long before it was added, ``[inbox] backlog_days``) are
  not read at all: the past is on no clock.
- **status**, **priority** and **assigned** events of the timeline, with the database statuses mapped to
  the clock's (``pending`` is :attr:`Status.PENDING_CUSTOMER`).

Everything is read in one or two queries per batch of conversations, so the worker and the metrics load
thousands of histories without a query per conversation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Message
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.models import Conversation, ConversationMessage, InboxEvent
from mailwarden.inbox.sla_clock import SlaState, compute
from mailwarden.inbox.sla_policy import (
    AgentReply,
    CustomerMessage,
    Event,
    Priority,
    PriorityChange,
    Reassigned,
    Status,
    StatusChange,
)
from mailwarden.inbox.teams import TeamPolicy

__all__ = ["STATUS_OF", "History", "load_histories", "state_of", "to_sla_status"]

#: database status -> the clock's status
STATUS_OF = {
    "open": Status.OPEN,
    "pending": Status.PENDING_CUSTOMER,
    "snoozed": Status.SNOOZED,
    "closed": Status.CLOSED,
}

#: timeline kinds the clock reads (the rest — notes, tags, SLA events themselves — change no clock)
_PRIORITIES = frozenset(p.value for p in Priority)
_CLOCK_KINDS = ("status", "priority", "assigned", "snooze_ended", "reply_queued", "reply_sent")


def to_sla_status(status: str) -> Status:
    return STATUS_OF[status]


@dataclass
class History:
    """One conversation's clock events, oldest first, and the priority its first cycle started with."""

    conversation_id: int
    events: list[Event] = field(default_factory=list)
    priority: Priority = Priority.NORMAL
    #: timeline keys of SLA events already recorded (``Timer.identity.key``): never recorded twice
    recorded: set[str] = field(default_factory=set)


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


async def load_histories(session: AsyncSession, conversations: Sequence[Conversation]) -> dict[int, History]:
    """The histories of ``conversations`` (by id), from their messages and timelines."""
    ids = [c.id for c in conversations]
    out = {c.id: History(c.id) for c in conversations}
    if not ids:
        return out
    messages = await session.execute(
        select(
            ConversationMessage.conversation_id,
            ConversationMessage.direction,
            ConversationMessage.at,
            ConversationMessage.message_id,
            Message.internal_date,
            Message.archived_at,
        )
        .outerjoin(Message, Message.id == ConversationMessage.archive_message_id)
        .where(
            ConversationMessage.conversation_id.in_(ids),
            ConversationMessage.noise == "person",
            ConversationMessage.copy_of_id.is_(None),
            ConversationMessage.history.is_(False),  # the mailbox's past is on no clock
        )
        .order_by(ConversationMessage.id)
    )
    timeline = list(
        await session.scalars(
            select(InboxEvent)
            .where(
                InboxEvent.conversation_id.in_(ids),
                InboxEvent.kind.in_([*_CLOCK_KINDS, "sla_due_soon", "sla_breach"]),
            )
            .order_by(InboxEvent.at, InboxEvent.id)
        )
    )
    # who sent each reply, from the reply queue's own events: queued names the agent, sent the Message-ID
    agent_of_outgoing: dict[object, str] = {}
    agent_of_message: dict[tuple[int, str], str] = {}
    for event in timeline:
        if event.kind == "reply_queued" and event.detail.get("agent"):
            agent_of_outgoing[event.detail.get("outgoing_id")] = str(event.detail["agent"])
        elif event.kind == "reply_sent":
            sender = agent_of_outgoing.get(event.detail.get("outgoing_id"))
            sent_id = str(event.detail.get("message_id") or "").strip("<>")
            if sender and sent_id:
                agent_of_message[(event.conversation_id, sent_id)] = sender
    replies: dict[int, list[tuple[datetime, str | None]]] = defaultdict(list)
    for row in messages.all():
        conversation_id, direction, at, message_id, internal_date, archived_at = row
        assert conversation_id is not None  # the query asked for these conversations
        history = out[conversation_id]
        if direction == "in":
            history.events.append(CustomerMessage(as_utc(internal_date or archived_at or at)))
        else:
            sender = agent_of_message.get((conversation_id, (message_id or "").strip("<>")))
            replies[conversation_id].append((as_utc(at), sender))
    first_priority: dict[int, Priority] = {}
    assigned: dict[int, list[tuple[datetime, str | None]]] = defaultdict(list)
    for event in timeline:
        history = out[event.conversation_id]
        at, detail = as_utc(event.at), event.detail
        if event.kind in ("sla_due_soon", "sla_breach"):
            if detail.get("key"):
                history.recorded.add(str(detail["key"]))
        elif event.kind == "status" and detail.get("status") in STATUS_OF:
            until = _parse(detail.get("until"))
            history.events.append(StatusChange(at, STATUS_OF[detail["status"]], until))
        elif event.kind == "snooze_ended":
            history.events.append(StatusChange(at, Status.OPEN))
        elif event.kind == "priority" and detail.get("priority") in _PRIORITIES:
            previous = detail.get("previous")
            if event.conversation_id not in first_priority and previous in _PRIORITIES:
                first_priority[event.conversation_id] = Priority(previous)
            history.events.append(PriorityChange(at, Priority(detail["priority"])))
        elif event.kind == "assigned":
            agent = detail.get("agent")
            history.events.append(Reassigned(at, str(agent) if agent else None))
            assigned[event.conversation_id].append((at, str(agent) if agent else None))
    for conversation in conversations:
        history = out[conversation.id]
        history.priority = first_priority.get(conversation.id) or _priority(conversation.priority)
        owners = assigned.get(conversation.id, [])
        for at, agent in replies.get(conversation.id, []):
            if agent is None:
                agent = next((name for when, name in reversed(owners) if when <= at), None)
            history.events.append(AgentReply(at, agent))
        # compute() sorts by instant and keeps the given order for equal instants: messages first, then
        # the status their arrival caused (the reopen is recorded at the message's arrival)
        history.events.sort(key=lambda e: (e.at, 0 if isinstance(e, CustomerMessage | AgentReply) else 1))
    return out


def _priority(value: str | None) -> Priority:
    try:
        return Priority(value or "normal")
    except ValueError:
        return Priority.NORMAL


def state_of(conversation: Conversation, history: History, team: TeamPolicy, at: datetime) -> SlaState:
    """The conversation's SLA state at ``at`` under its team's policy and calendar."""
    return compute(conversation.uid, history.events, team.sla, team.calendar, at, priority=history.priority)
