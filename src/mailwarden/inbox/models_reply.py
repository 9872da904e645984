"""Tables of replies: the durable outgoing queue, agents' signatures, and who is looking at a conversation.

**The outgoing queue** (:class:`Outgoing`) holds each reply's composed bytes *before* anything is sent, so a
restart never loses one and never has to compose it again (a second compose would make a second
Message-ID). ``status`` is the reply's story as a user reads it::

    queued ──► sending ──► sent ──► filed          (APPENDed to the Sent folder: done)
       ▲          │          │
       │          ├──► failed (permanent refusal, too many temporary failures, or in doubt and held)
       └──────────┘          └──► (filing retried with back-off; the customer has the mail already)

``sending`` is committed with the Message-ID before the SMTP session opens: a row found ``sending`` by
the next worker is *in doubt* — the server may have accepted it — and is checked before anything is sent
again (see :mod:`.outgoing` and decision 0017). The claim columns come from :class:`QueueMixin`
(``state`` ready/claimed/done/failed, ``run_after`` = the next attempt, ``attempts``, ``last_error``).

**Signatures**: one per agent, optionally one per (agent, mailbox) that wins over it; text and HTML.
Per-agent settings live here, keyed by agent id, not as columns of :class:`~mailwarden.access.models.Agent`.

**Presence**: a heartbeat row per (conversation, agent) — viewing or replying — that expires on its own;
what Help Scout calls the traffic cop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime
from mailwarden.db.models import QueueMixin

__all__ = ["OUTGOING_STATUSES", "PRESENCE_STATES", "Outgoing", "Presence", "Signature"]

OUTGOING_STATUSES = ("queued", "sending", "sent", "filed", "failed")
PRESENCE_STATES = ("viewing", "replying")


class Outgoing(QueueMixin, Base):
    """One reply on its way out (see the module docstring for ``status``)."""

    __tablename__ = "inbox_outgoing"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'filed', 'failed')", name="outgoing_status_known"
        ),
        Index("ix_inbox_outgoing_claimable", "state", "run_after"),
        Index("ix_inbox_outgoing_conversation", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="RESTRICT"))
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    #: kept as text too: the audit trail names the agent even after the agent row is gone
    agent_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: without angle brackets; carries the conversation token (:func:`.tokens.new_message_id`)
    message_id: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(Text, default=None)
    subject: Mapped[str] = mapped_column(Text, default="")
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the composed message, exactly as it is sent and filed
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    #: the inbox message the agent answered
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="SET NULL"), default=None
    )
    #: the inbox message row written when the server accepted it (direction "out", no archive copy yet)
    inbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="SET NULL"), default=None
    )
    #: the last failure: error kind, message key, the server's own reply, permanent or not
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: the server's answer to the data (its queue id, usually) and refused recipients, once accepted
    smtp_reply: Mapped[str | None] = mapped_column(Text, default=None)
    sent_folder: Mapped[str | None] = mapped_column(Text, default=None)
    #: how many times the SMTP session was started (``attempts`` also counts filing attempts)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class Signature(Base):
    """An agent's signature; ``mailbox_id`` NULL is the agent's default."""

    __tablename__ = "inbox_signatures"
    __table_args__ = (UniqueConstraint("agent_id", "mailbox_id", name="uq_inbox_signatures_agent_mailbox"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailboxes.id", ondelete="CASCADE"), default=None
    )
    text: Mapped[str] = mapped_column(Text, default="")
    #: cleaned (nh3) when stored
    html: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class Presence(Base):
    """An agent viewing or replying to a conversation, until ``expires_at`` (refreshed by a heartbeat)."""

    __tablename__ = "inbox_presence"
    __table_args__ = (CheckConstraint("state IN ('viewing', 'replying')", name="presence_state_known"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
