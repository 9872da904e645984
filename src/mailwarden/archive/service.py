"""Writing to the archive: folders, groups of messages, tombstones, flag changes — each durable in order.

The one rule: a database row that points at a blob is committed only after the blob is on disk for good,
and a folder's saved state (UIDNEXT, HIGHESTMODSEQ) advances only after its messages are committed. A crash at
any point leaves the archive consistent; the next pass fetches what is missing and stores nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.blobstore import BlobRef, BlobStore
from mailwarden.archive.meta import MessageMeta
from mailwarden.archive.models import Blob, FlagChange, Folder, Message, SyncAlert
from mailwarden.archive.rows import insert_rows
from mailwarden.core import clock
from mailwarden.db.engine import Database

__all__ = [
    "ArchivedCopy",
    "CopyState",
    "MessageMeta",
    "alert",
    "live_copies",
    "record_flag_changes",
    "store_batch",
    "tombstone",
]


@dataclass
class ArchivedCopy:
    """One fetched server copy, its blob already written (not yet durable) to the store."""

    uid: int
    blob: BlobRef
    flags: list[str]
    internal_date: datetime | None
    modseq: int | None
    meta: MessageMeta


@dataclass(frozen=True)
class CopyState:
    row_id: int
    uid: int
    flags: tuple[str, ...]
    sha256: str
    size: int


async def store_batch(db: Database, store: BlobStore, folder: Folder, copies: Sequence[ArchivedCopy]) -> int:
    """Make the blobs durable, then commit their rows in one transaction. Returns the rows inserted.

    Idempotent: a copy already archived (same folder, UIDVALIDITY and UID) is left as it is.
    """
    if not copies:
        return 0
    await asyncio.to_thread(store.sync)  # an fsync can take a while: not on the event loop
    blobs = {c.blob.sha256: c.blob for c in copies}
    now = clock.now()
    blob_rows = [
        {"sha256": b.sha256, "size": b.size, "stored_size": b.stored_size, "created_at": now}
        for b in blobs.values()
    ]
    message_rows = [
        {
            "mailbox_id": folder.mailbox_id,
            "folder_id": folder.id,
            "uidvalidity": folder.uidvalidity,
            "uid": c.uid,
            "sha256": c.blob.sha256,
            "size": c.blob.size,
            "flags": sorted(c.flags),
            "internal_date": c.internal_date,
            "modseq": c.modseq,
            "message_id": c.meta.message_id,
            "in_reply_to": c.meta.in_reply_to,
            "references": c.meta.references,
            "subject": c.meta.subject,
            "from_addr": c.meta.from_addr,
            "from_name": c.meta.from_name,
            "to": c.meta.to,
            "cc": c.meta.cc,
            "reply_to": c.meta.reply_to,
            "date": c.meta.date,
            "has_attachments": bool(c.meta.attachments),
            "attachments": c.meta.attachments,
            "defects": c.meta.defects,
            "archived_at": now,
        }
        for c in copies
    ]
    async with db.session() as session, session.begin():
        uids = {c.uid for c in copies}
        already = None
        if not db.is_sqlite:
            # Counted beforehand rather than with RETURNING: SQLAlchemy runs a RETURNING insert of many
            # rows as one statement per row on some engines and splices the results; SQLite's executemany
            # reports what it inserted itself (see insert_rows)
            present = await session.execute(
                select(func.count()).where(
                    Message.folder_id == folder.id,
                    Message.uidvalidity == folder.uidvalidity,
                    Message.uid.in_(uids),
                )
            )
            already = present.scalar_one()
        await insert_rows(session, db, Blob, blob_rows, ["sha256"])
        inserted = await insert_rows(session, db, Message, message_rows, ["folder_id", "uidvalidity", "uid"])
    if inserted is not None:
        return inserted
    assert already is not None
    return len(uids) - already


async def live_copies(session: AsyncSession, folder: Folder) -> dict[int, CopyState]:
    """The copies of this folder generation that we believe are still on the server, by UID."""
    rows = await session.execute(
        select(Message.id, Message.uid, Message.flags, Message.sha256, Message.size).where(
            Message.folder_id == folder.id,
            Message.uidvalidity == folder.uidvalidity,
            Message.gone_at.is_(None),
        )
    )
    return {uid: CopyState(rid, uid, tuple(flags or ()), sha, size) for rid, uid, flags, sha, size in rows}


async def tombstone(db: Database, row_ids: Iterable[int], reason: str) -> int:
    """Mark copies as gone from the server. They stay in the archive, with when and why."""
    ids = list(row_ids)
    if not ids:
        return 0
    now = clock.now()
    count = 0
    async with db.session() as session, session.begin():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result = await session.execute(
                update(Message)
                .where(Message.id.in_(chunk), Message.gone_at.is_(None))
                .values(gone_at=now, gone_reason=reason)
            )
            count += result.rowcount  # type: ignore[attr-defined]
    return count


async def record_flag_changes(
    db: Database, changes: Sequence[tuple[CopyState, list[str], int | None]]
) -> int:
    """Store new flags on the rows, and the change itself in the history."""
    if not changes:
        return 0
    async with db.session() as session, session.begin():
        for state, flags, modseq in changes:
            after = sorted(flags)
            await session.execute(
                update(Message).where(Message.id == state.row_id).values(flags=after, modseq=modseq)
            )
            session.add(
                FlagChange(message_row_id=state.row_id, before=list(state.flags), after=after, modseq=modseq)
            )
    return len(changes)


async def alert(db: Database, mailbox_id: int, kind: str, folder: str | None, **detail: Any) -> None:
    async with db.session() as session, session.begin():
        session.add(SyncAlert(mailbox_id=mailbox_id, folder=folder, kind=kind, detail=detail))
