"""Archive tables: folders, blobs, messages (one row per server copy), flag history, sync runs and alerts.

A message row is keyed by (folder, UIDVALIDITY, UID) — never by UID alone: a mailbox deleted and recreated
reuses UIDs (paperless-ngx #8939 skipped new mail as "already processed"). The row points at a blob by
content hash, so a message in three folders, or seen again after a UIDVALIDITY reset, is stored once.

Rows are never deleted by sync. A message the server no longer has gets ``gone_at``: a tombstone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["Blob", "FlagChange", "Folder", "Message", "Seal", "SyncAlert", "SyncRun"]


class Folder(Base):
    """A folder of a mailbox as we know it. ``uidvalidity`` is the generation we archive now."""

    __tablename__ = "archive_folders"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "name", "uidvalidity", name="uq_archive_folders_identity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # no ON DELETE CASCADE: removing a mailbox from mailwarden never removes its archive
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(Text)
    delimiter: Mapped[str | None] = mapped_column(String(4), default=None)
    special_use: Mapped[str | None] = mapped_column(String(20), default=None)
    #: RFC 8474 MAILBOXID, when the server has OBJECTID: follows renames
    object_id: Mapped[str | None] = mapped_column(String(255), default=None)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    #: what the server said at the end of our last complete pass
    uidnext: Mapped[int | None] = mapped_column(BigInteger, default=None)
    highest_modseq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    server_messages: Mapped[int | None] = mapped_column(Integer, default=None)
    #: active | gone (not listed any more) | superseded (UIDVALIDITY changed) | renamed
    state: Mapped[str] = mapped_column(String(16), default="active")
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Blob(Base):
    """A raw message, stored once (see :mod:`mailwarden.archive.blobstore`). Present only once durable."""

    __tablename__ = "archive_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Message(Base):
    """One copy of a message on the server: (folder, UIDVALIDITY, UID), with its parsed metadata."""

    __tablename__ = "archive_messages"
    __table_args__ = (
        UniqueConstraint("folder_id", "uidvalidity", "uid", name="uq_archive_messages_server_copy"),
        Index("ix_archive_messages_message_id", "message_id"),
        Index("ix_archive_messages_mailbox_live", "mailbox_id", "gone_at"),
    )

    #: also the archive order: the inbox consumes messages by increasing id
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    folder_id: Mapped[int] = mapped_column(ForeignKey("archive_folders.id", ondelete="RESTRICT"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(ForeignKey("archive_blobs.sha256", ondelete="RESTRICT"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    internal_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    modseq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    message_id: Mapped[str | None] = mapped_column(Text, default=None)
    in_reply_to: Mapped[str | None] = mapped_column(Text, default=None)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    from_addr: Mapped[str | None] = mapped_column(Text, default=None)
    from_name: Mapped[str | None] = mapped_column(Text, default=None)
    #: lists of [name, address]
    to: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cc: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reply_to: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    #: [{filename, content_type, size, part}]
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: parser defects: the raw bytes are kept whatever they say
    defects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    #: the tombstone: when we first saw the server no longer has this copy; never a delete
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: why: "expunged", "folder_gone", "uidvalidity_changed"
    gone_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    #: the purge batch (``purge_batches.id``) this row is scheduled in; no foreign key, because that table
    #: belongs to ``retention``, a layer above this one
    purge_batch_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    #: when the purge removed the content; the row stays (its seal stays valid), exports and restores skip it
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)


class FlagChange(Base):
    __tablename__ = "archive_flag_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_row_id: Mapped[int] = mapped_column(
        ForeignKey("archive_messages.id", ondelete="RESTRICT"), index=True
    )
    before: Mapped[list[str]] = mapped_column(JSON)
    after: Mapped[list[str]] = mapped_column(JSON)
    modseq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class SyncRun(Base):
    """One pass over a mailbox: what it did, and how it ended. Failures are kept, never swallowed."""

    __tablename__ = "archive_sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: running | ok | failed
    status: Mapped[str] = mapped_column(String(12), default="running")
    folders: Mapped[int] = mapped_column(Integer, default=0)
    folders_skipped: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    fetched_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    tombstoned: Mapped[int] = mapped_column(Integer, default=0)
    flag_changes: Mapped[int] = mapped_column(Integer, default=0)
    error_kind: Mapped[str | None] = mapped_column(String(64), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class SyncAlert(Base):
    """Something a person must look at: a mass disappearance, a UIDVALIDITY reset, a folder gone."""

    __tablename__ = "archive_sync_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"), index=True)
    folder: Mapped[str | None] = mapped_column(Text, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Seal(Base):
    """A link of the archive's hash chain: covers the message rows ``(prev_last_id, last_id]`` (see
    :mod:`mailwarden.archive.seals`). Seals are only ever added."""

    __tablename__ = "archive_seals"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: unique: two sealers racing over the same rows cannot both commit
    prev_last_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: "id:digest," per row (12 hex digits each): not part of the proof, only to name the row that broke it
    rows: Mapped[str] = mapped_column(Text)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
