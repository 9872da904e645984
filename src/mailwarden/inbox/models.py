"""Team inbox tables: conversations, their messages, contacts, companies, bounce links, the ingest cursor.

**One conversation message per (mailbox, sha256)** — the unique constraint that makes ingest idempotent by
structure, whatever the cursor says. The archive has a row per server copy: a message in INBOX and in
Archive (or seen again after a UIDVALIDITY reset) has two rows with the same blob, and is ONE message for the
inbox. The Message-ID cannot be the key: two different messages can share one (broken clients, hand-made
ids — the recovery lab's ``<dup@x>``), and a message without one would have no key at all.
The same message with *different bytes* — our reply as delivered and as saved in Sent by a mail client,
or re-delivered with other ``Received`` lines — has one Message-ID and two hashes: it is attached to the
same conversation (threading finds its Message-ID) and recorded with ``copy_of_id`` pointing at the first,
so it is shown once (see :mod:`.ingest`).

Messages that open no conversation (auto-replies, bounces, lists) are rows too, with ``conversation_id``
NULL unless they answer one of ours: re-reading them is then a no-op, and a bounce can be shown on the
conversation of the message it returned (:class:`BounceLink`).

Contacts and companies are shared by all mailboxes: a customer who writes to sales@ and to info@ is one
customer. Conversations belong to one mailbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = [
    "DIRECTIONS",
    "STATUSES",
    "BounceLink",
    "Company",
    "Contact",
    "ContactAddress",
    "Conversation",
    "ConversationMessage",
    "InboxEvent",
    "IngestCursor",
    "new_uid",
]

STATUSES = ("open", "pending", "snoozed", "closed")
DIRECTIONS = ("in", "out")


def new_uid() -> str:
    """A conversation's public id: what its signed token names (stable across databases, unguessable)."""
    return uuid.uuid4().hex


class Company(Base):
    """A customer's company: one per registrable domain, never a free-mail domain."""

    __tablename__ = "inbox_companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: registrable domain, ASCII (IDNA): the company's identity
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    display_domain: Mapped[str] = mapped_column(String(253))
    name: Mapped[str | None] = mapped_column(Text, default=None)
    #: ISO 3166-1 alpha-2, with where it came from (cctld, signature_name, signature_phone) and the evidence
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    country_source: Mapped[str | None] = mapped_column(String(20), default=None)
    country_evidence: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class Contact(Base):
    """A person who writes to the team, with one or more addresses (:class:`ContactAddress`)."""

    __tablename__ = "inbox_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, default="")
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_companies.id", ondelete="SET NULL"), index=True, default=None
    )
    #: from the signature when the company (free mail, a generic TLD) gives none
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    country_source: Mapped[str | None] = mapped_column(String(20), default=None)
    #: ISO 639-1 of the customer's own text, last detected
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    #: set when an agent merged this contact into another: kept so old references still resolve
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_contacts.id", ondelete="RESTRICT"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class ContactAddress(Base):
    """An address of a contact. ``key`` (local part case-folded @ ASCII domain) is unique: one address is
    one contact, so the same buyer never becomes two (see :mod:`.parties`)."""

    __tablename__ = "inbox_contact_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("inbox_contacts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(320), unique=True)
    display: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Conversation(Base):
    __tablename__ = "inbox_conversations"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'pending', 'snoozed', 'closed')", name="status_known"),
        CheckConstraint("status <> 'snoozed' OR snoozed_until IS NOT NULL", name="snooze_has_end"),
        Index("ix_inbox_conversations_list", "mailbox_id", "status", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: what the signed token names (:mod:`.tokens`); never the row id, which differs between databases
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(Text, default="")
    #: the normalised subject (:func:`.subjects.normalise_subject`), for same-contact suggestions
    subject_key: Mapped[str] = mapped_column(Text, default="")
    #: open | pending (waiting on the customer) | snoozed (until ``snoozed_until``) | closed
    status: Mapped[str] = mapped_column(String(10), default="open")
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_contacts.id", ondelete="SET NULL"), index=True, default=None
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_companies.id", ondelete="SET NULL"), index=True, default=None
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True, default=None
    )
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    #: ``<uid>-<mac>`` (:func:`.tokens.make_token`), carried by our replies
    token: Mapped[str] = mapped_column(String(100))
    #: conversations an agent may want to merge this one with (same contact, same subject): never automatic
    suggested_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
    #: when its earliest message was written (``created_at`` is when the row was made)
    first_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_agent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # --- collab ---
    #: set when an agent merged this conversation into another (:mod:`.merge`): it is closed, hidden from
    #: lists, and showing it points there; its token threads replies there too
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_conversations.id", ondelete="RESTRICT"), index=True, default=None
    )
    # --- slaw ---
    #: low | normal | high | urgent (:class:`.sla_policy.Priority`): which SLA targets apply
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    #: the next instant the SLA worker must look at this conversation (a timer falls due, a snooze ends,
    #: or "now": something changed); NULL: nothing scheduled. See :mod:`.sla_worker`.
    sla_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    #: what the worker last computed, for list views: the running cycle's due time and outcome
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sla_outcome: Mapped[str | None] = mapped_column(String(10), default=None)
    #: when the worker last computed it (NULL: never — it is picked up at the worker's start)
    sla_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: fingerprint of the team policy it was computed with: a worker started with other targets or hours
    #: recomputes the conversations computed under the old ones (:func:`.sla_worker.adopt`)
    sla_policy: Mapped[str | None] = mapped_column(String(16), default=None)


class ConversationMessage(Base):
    """A message as the inbox knows it: in a conversation, or noise (``conversation_id`` NULL)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "sha256", name="uq_inbox_messages_blob"),
        CheckConstraint("direction IN ('in', 'out')", name="direction_known"),
        Index("ix_inbox_messages_message_id", "mailbox_id", "message_id"),
        Index("ix_inbox_messages_in_reply_to", "mailbox_id", "in_reply_to"),
        Index("ix_inbox_messages_conversation", "conversation_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_conversations.id", ondelete="RESTRICT"), default=None
    )
    #: the first archived copy; NULL for a reply we sent that the archive has not seen yet
    archive_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("archive_messages.id", ondelete="RESTRICT"), index=True, default=None
    )
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    #: without angle brackets
    message_id: Mapped[str | None] = mapped_column(Text, default=None)
    #: the message it answers: lets a parent archived *after* its reply (Sent synced before INBOX) find the
    #: reply's conversation instead of opening a second one
    in_reply_to: Mapped[str | None] = mapped_column(Text, default=None)
    direction: Mapped[str] = mapped_column(String(3))
    #: :data:`.noise.KINDS`: person, bounce, auto_reply, ...; with the evidence (header, value, means)
    noise: Mapped[str] = mapped_column(String(16), default="person")
    noise_evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: how threading placed it (:data:`.threading.How`) and the Message-ID or token that decided
    threaded_by: Mapped[str | None] = mapped_column(String(16), default=None)
    threaded_via: Mapped[str | None] = mapped_column(Text, default=None)
    #: the same message (same Message-ID, sender, date and subject) seen before with other bytes
    copy_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="RESTRICT"), default=None
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_contacts.id", ondelete="SET NULL"), default=None
    )
    from_addr: Mapped[str | None] = mapped_column(Text, default=None)
    from_name: Mapped[str | None] = mapped_column(Text, default=None)
    subject: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    #: the Date header, else the server's internal date, else when it was archived
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: received long before the mailbox was added (``[inbox] backlog_days``): the past, off every clock
    history: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class BounceLink(Base):
    """A bounce (or delay notice) and the outgoing message of ours it returned, when we know which."""

    __tablename__ = "inbox_bounces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bounce_id: Mapped[int] = mapped_column(ForeignKey("inbox_messages.id", ondelete="CASCADE"), unique=True)
    #: our message it returned: NULL when the bounce names none we sent (backscatter, a QQ/NetEase bounce)
    original_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="RESTRICT"), index=True, default=None
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_conversations.id", ondelete="RESTRICT"), index=True, default=None
    )
    #: rfc3464, qmail, exim, qq, netease, text
    format: Mapped[str] = mapped_column(String(12))
    permanent: Mapped[bool] = mapped_column(Boolean)
    #: [{address, action, status, diagnostic}]
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the Message-IDs the bounce names, whether or not we sent them
    named_message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class IngestCursor(Base):
    """How far the ingest has read the archive (see :mod:`mailwarden.archive.holes`): advanced in the same
    transaction as the rows it produced, so a crash leaves either a whole batch or none of it."""

    __tablename__ = "inbox_ingest_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    #: batches committed: a batch claims the cursor with ``WHERE batches = <as read>``, so two ingests
    #: running at once never both commit the same rows
    batches: Mapped[int] = mapped_column(BigInteger, default=0)
    holes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class InboxEvent(Base):
    """A conversation's timeline: every change of state, in the order it happened (see :mod:`.events`).

    What the SLA clock, the metrics and the conversation view read. Each row is also an event in the
    hash-chained audit log (chain ``inbox``), written in the same transaction; this table is the queryable
    copy, indexed by conversation. Append-only: nothing updates or deletes a row.
    """

    __tablename__ = "inbox_events"
    __table_args__ = (Index("ix_inbox_events_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    #: :data:`mailwarden.inbox.events.KINDS`
    kind: Mapped[str] = mapped_column(String(32))
    #: ``agent:<uid>``, ``cli:<user>@<host>``, ``api:<token name>``, ``system:<worker part>``
    actor: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the audit event written with it
    audit_seq: Mapped[int] = mapped_column(BigInteger)
