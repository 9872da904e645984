"""Retention tables: policies, legal holds and purge batches. The purge marks live on the message rows
(``archive_messages.purge_batch_id`` and ``purged_at``, :mod:`mailwarden.archive.models`).

Nothing here is ever deleted: a policy removed is gone (the audit chain says when and by whom), a hold is
released, a batch is cancelled or executed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["ALL_FOLDERS", "LegalHold", "PurgeBatch", "RetentionPolicy"]

#: ``RetentionPolicy.folder`` of a policy for the whole mailbox (an IMAP folder name is never empty; a
#: NULL would let the unique constraint accept two mailbox-wide policies)
ALL_FOLDERS = ""


class RetentionPolicy(Base):
    """Keep a mailbox's messages (or one folder's) ``keep_amount`` ``keep_unit`` after they were received."""

    __tablename__ = "retention_policies"
    __table_args__ = (UniqueConstraint("mailbox_id", "folder", name="uq_retention_policies_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    folder: Mapped[str] = mapped_column(Text, default=ALL_FOLDERS)
    keep_amount: Mapped[int] = mapped_column(Integer)
    #: days | months | years
    keep_unit: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class LegalHold(Base):
    """Messages in scope are never purged while the hold is active, whatever a policy says."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"), index=True)
    folder: Mapped[str | None] = mapped_column(Text, default=None)
    #: received on or after / before (the same date as retention counts from)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    before: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: a sender or recipient (From, To, Cc), lower case
    address: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    released_by: Mapped[str | None] = mapped_column(Text, default=None)


class PurgeBatch(Base):
    """Messages chosen for purging together; executed only after ``grace_until``, cancellable until then."""

    __tablename__ = "purge_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: scheduled | cancelled | executed
    state: Mapped[str] = mapped_column(String(12), default="scheduled", index=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    grace_until: Mapped[datetime] = mapped_column(UTCDateTime())
    messages: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(Text, default=None)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    executed_by: Mapped[str | None] = mapped_column(Text, default=None)
    #: rows purged, and rows kept at execution because a hold or a changed policy now covers them
    purged: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    #: blob files removed; ``blobs_done_at`` is set once every unreferenced blob of the batch is gone (a run
    #: interrupted between the commit and the deletions finishes them next time)
    blobs_removed: Mapped[int] = mapped_column(Integer, default=0)
    blobs_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
