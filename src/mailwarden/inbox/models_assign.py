"""Assignment tables: each agent's availability, the rules, sticky owners, rotation pointers, the queue.

Per-agent inbox settings live here, keyed by the agent's row id, rather than as columns of ``agents``: the
``access`` package knows who an agent is, the inbox knows when they take work.

The rotation pointers are rows, not memory, so a restart and several workers agree on whose turn it is: an
assigner takes the row's lock first (``UPDATE ... SET turns = turns + 1``) and writes the agent it chose in
the same transaction, so two assigners at once are served one after the other (see :mod:`.assign`).

A conversation nobody could take waits in :class:`AssignQueue` (the team queue) until someone can:
``retry_at`` is the first instant an agent is expected back, what the worker sleeps until.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = [
    "OWNER_SOURCES",
    "AgentAbsence",
    "AgentSettings",
    "AssignQueue",
    "AssignRotation",
    "AssignRule",
    "StickyOwner",
]

#: how a sticky owner was set: the agent last answered the customer, or a person set it by hand (pinned:
#: answering does not move a hand-set owner)
OWNER_SOURCES = ("answered", "manual")


class AgentSettings(Base):
    """When an agent takes work. No row: the team's hours in the agent's zone, present, no capacity."""

    __tablename__ = "inbox_agent_settings"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    #: a partial :class:`~mailwarden.inbox.hours_spec.CalendarSpec` mapping laid over the team's calendar
    #: (``hours``, ``timezone``, ``country``, ...); None: the team's hours in the agent's own zone
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: the "away" switch: no end, only a person turns it off
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    #: most conversations not closed the agent takes by assignment; None: no limit
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class AgentAbsence(Base):
    """An out-of-office interval ``[start, end)``."""

    __tablename__ = "inbox_agent_absences"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class AssignRule(Base):
    """One assignment rule: every condition given must hold (a list holds when any of its values does);
    the conversation goes to the rule's agent, or to the next of its agents in turn."""

    __tablename__ = "inbox_assign_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: rules are tried in this order, lowest first (kept 1..n by the service)
    position: Mapped[int] = mapped_column(Integer, index=True)
    #: mailbox names, case-folded
    mailboxes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO 3166-1 alpha-2, upper case: the company's country, else the contact's
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO 639-1, lower case: the language of the conversation's first message
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: in the subject or the body, case-insensitive; whole words, CJK as substrings
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: agent names: one, or several taking turns
    agents: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the uid of the agent of this rule who had the last turn
    last_agent: Mapped[str | None] = mapped_column(String(32), default=None)
    turns: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class AssignRotation(Base):
    """Whose turn it is in a team: the last agent the team's chooser took."""

    __tablename__ = "inbox_assign_rotation"

    team: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: the agent's uid
    last_agent: Mapped[str | None] = mapped_column(String(32), default=None)
    #: assignments made by the chooser: bumped first, which takes the row's lock
    turns: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class StickyOwner(Base):
    """The agent who looks after a company or a contact (FreeScout #1388): their new mail goes to them."""

    __tablename__ = "inbox_assign_owners"
    __table_args__ = (
        CheckConstraint("(company_id IS NULL) <> (contact_id IS NULL)", name="one_party"),
        CheckConstraint("source IN ('answered', 'manual')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_companies.id", ondelete="CASCADE"), unique=True, default=None
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_contacts.id", ondelete="CASCADE"), unique=True, default=None
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    #: :data:`OWNER_SOURCES`
    source: Mapped[str] = mapped_column(String(8))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class AssignQueue(Base):
    """A conversation waiting in its team's queue for an agent."""

    __tablename__ = "inbox_assign_queue"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    team: Mapped[str] = mapped_column(String(100), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    #: the first instant an agent is expected back; None: nobody is (all away, at capacity, or the team
    #: assigns by hand) — only a person or a closed conversation changes that
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    #: the last attempt's why (``{"step": "queued", "skipped": [...]}``)
    why: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
