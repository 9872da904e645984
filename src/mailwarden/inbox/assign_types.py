"""The values the assigner works with and answers with, and two small helpers it shares (see
:mod:`.assign`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.inbox.assign_agents import Roster
from mailwarden.inbox.assign_decide import RuleSpec
from mailwarden.inbox.models import Conversation, InboxEvent
from mailwarden.inbox.models_assign import AssignRotation, AssignRule

__all__ = ["Assigned", "Waiting"]


@dataclass
class _Batch:
    """What one transaction loaded once: see the module docstring."""

    at: datetime
    roster: Roster
    rules: list[RuleSpec]
    counts: dict[str, int]
    mailboxes: dict[int, str]
    #: the rows, locked: a turn taken sets their attributes, written with the next flush
    rotations: dict[str, AssignRotation]
    rule_rows: dict[str, AssignRule]

    def team_last(self, team: str) -> str | None:
        row = self.rotations.get(team)
        return row.last_agent if row is not None else None


@dataclass(frozen=True)
class Assigned:
    """The outcome for one conversation, for the API and the command line."""

    conversation_id: int
    uid: str
    agent: str | None
    previous: str | None
    why: Mapping[str, Any]
    queued: bool
    back_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "uid": self.uid,
            "agent": self.agent,
            "previous": self.previous,
            "why": dict(self.why),
            "queued": self.queued,
            "back_at": self.back_at.isoformat() if self.back_at else None,
        }


@dataclass
class Waiting:
    """What :meth:`Assigner.assign_waiting` did; ``back_at``: when to run it again (None: nothing is
    expected to change by itself — run it when someone comes back or a conversation closes)."""

    assigned: list[Assigned] = field(default_factory=list)
    still_queued: int = 0
    back_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "assigned": [a.as_dict() for a in self.assigned],
            "still_queued": self.still_queued,
            "back_at": self.back_at.isoformat() if self.back_at else None,
        }


async def _name_of(session: AsyncSession, batch: _Batch | None, agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    if batch is not None:
        found = next((a for a in batch.roster.agents if a.id == agent_id), None)
        if found is not None:
            return found.name
    agent = await session.get(Agent, agent_id)
    return agent.name if agent else None


def _insert(session: AsyncSession, table: Any = AssignRotation) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(table)


async def first_customer_message(session: AsyncSession, conversation: Conversation) -> bool:
    """Whether a customer's message attached to ``conversation`` is the first one anybody had to take:
    the conversation was opened by our own mail (the Sent folder archived before INBOX on a first sync,
    a salesperson writing first) and was never assigned or queued. Unassigned *by someone* is different:
    that conversation went back to the queue on purpose."""
    if conversation.assignee_id is not None:
        return False
    earlier = await session.scalar(
        select(InboxEvent.id)
        .where(InboxEvent.conversation_id == conversation.id, InboxEvent.kind.in_(("assigned", "queued")))
        .limit(1)
    )
    return earlier is None
