"""Tables of the inbox's collaboration part: internal notes (with every version), tags, canned replies.

**Notes are append-only.** A note row holds who wrote it and its current text; every text it ever had is an
:class:`NoteVersion` row, so an edit never destroys what a colleague may already have read and acted on
(decision 0018). Notes never leave the team: nothing that composes mail reads this table.

**Tags** are rows (conversation, tag) with the tag already normalised (:func:`.tags.normalise_tag`): one
spelling per tag, and an index to list conversations by tag.

**Canned replies** are named templates (:mod:`.canned`), global or for one mailbox. Their names are unique
case-insensitively (``name_key``), whatever the mailbox: ``inbox canned render price-list 12`` must never be
ambiguous.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["CannedReply", "ConversationTag", "Note", "NoteVersion"]


class Note(Base):
    """An internal note on a conversation: its author and its current text (the last :class:`NoteVersion`)."""

    __tablename__ = "inbox_notes"
    __table_args__ = (Index("ix_inbox_notes_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: moved with its messages when the conversation is merged into another
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True, default=None
    )
    #: kept when the agent is removed: the note still says who wrote it
    author_name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    #: agent names the current text mentions (resolved, as stored: the agents' own spelling)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class NoteVersion(Base):
    """One text a note had. Append-only: version 1 is the note as first written."""

    __tablename__ = "inbox_note_versions"
    __table_args__ = (UniqueConstraint("note_id", "version", name="uq_inbox_note_versions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("inbox_notes.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the actor who wrote this version (``agent:<name>``, ``api:<token>`` ...)
    written_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ConversationTag(Base):
    __tablename__ = "inbox_tags"
    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_inbox_tags_tag"),
        Index("ix_inbox_tags_tag", "tag", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"))
    #: normalised (:func:`mailwarden.inbox.tags.normalise_tag`)
    tag: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class CannedReply(Base):
    """A named reply template with ``{variables}`` (:mod:`mailwarden.inbox.canned`)."""

    __tablename__ = "inbox_canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    #: the name case-folded: unique, so that a name never means two templates
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    #: NULL: every mailbox may use it
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True, default=None
    )
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
