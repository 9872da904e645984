"""The restore ledger: what a restore appended where, so a second run, or one resumed after a crash, can
tell what is done.

The ledger is a record and a shortcut, not the only truth: a crash between the server's OK for an APPEND and
the ledger's commit leaves a message on the target that the ledger does not know. The restore therefore also
identifies what the target folder holds by the sha256 of its raw bytes (see :mod:`.restore`), and a ledger
row counts only while its UID still exists under the same UIDVALIDITY.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["RestoreEntry"]


class RestoreEntry(Base):
    """One message appended by a restore: (target mailbox, target folder, sha256) -> APPENDUID."""

    __tablename__ = "restore_ledger"
    __table_args__ = (Index("ix_restore_ledger_target", "target_mailbox_id", "target_folder", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # RESTRICT: forgetting a mailbox never rewrites the history of what was restored into it
    target_mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="RESTRICT"))
    target_folder: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: the archived copy it came from (archive_messages.id)
    source_message_id: Mapped[int] = mapped_column(ForeignKey("archive_messages.id", ondelete="RESTRICT"))
    #: APPENDUID (RFC 4315) when the server offers UIDPLUS; None otherwise
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    appended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
