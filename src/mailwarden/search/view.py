"""One archived message as a reader sees it: where it is, its headers, its text and its attachments.

For ``archive show`` (after a search) and later the web UI. The raw bytes are re-hashed on the way
(:meth:`BlobStore.read` checks nothing; :func:`read_checked` does), so what is shown is what was archived.
Each view is an ``archive.view`` event in the audit chain; a purged message is gone (``NotFoundError``
saying so).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder, Message
from mailwarden.audit.service import record
from mailwarden.core.errors import NotFoundError, StorageError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox
from mailwarden.mime import parse_message

__all__ = ["MessageView", "read_checked", "view_message"]


@dataclass
class MessageView:
    row_id: int
    mailbox: str
    folder: str
    uid: int
    sha256: str
    size: int
    flags: list[str]
    internal_date: datetime | None
    gone: bool
    message_id: str | None
    subject: str
    from_: list[str]
    to: list[str]
    cc: list[str]
    date: datetime | None
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    defects: list[dict[str, str]] = field(default_factory=list)


def read_checked(blobs: BlobStore, sha256: str) -> bytes:
    """The archived bytes, verified against their name; ``StorageError`` when they no longer match."""
    raw = blobs.read(sha256)
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise StorageError("archive.blob_mismatch", permanent=True, sha256=sha256)
    return raw


async def _row(db: Database, row_id: int) -> tuple[Message, Folder, Mailbox]:
    async with db.session() as session:
        found = (
            await session.execute(
                select(Message, Folder, Mailbox)
                .join(Folder, Message.folder_id == Folder.id)
                .join(Mailbox, Message.mailbox_id == Mailbox.id)
                .where(Message.id == row_id)
            )
        ).first()
    if found is None:
        raise NotFoundError("archive.no_such_message", row_id=row_id)
    message, folder, mailbox = found
    if message.purged_at is not None:
        raise NotFoundError("archive.message_purged", row_id=row_id, at=message.purged_at.isoformat())
    return message, folder, mailbox


async def _viewed(
    db: Database, actor: str, message: Message, folder: Folder, box: Mailbox, raw: bool
) -> None:
    detail = {
        "sha256": message.sha256,
        "mailbox": box.name,
        "folder": folder.name,
        "uid": message.uid,
        "raw": raw,
    }
    async with db.session() as session, session.begin():
        await record(session, actor=actor, action="archive.view", target=str(message.id), detail=detail)


async def raw_message(db: Database, blobs: BlobStore, row_id: int, *, actor: str) -> tuple[Message, bytes]:
    message, folder, mailbox = await _row(db, row_id)
    raw = read_checked(blobs, message.sha256)
    await _viewed(db, actor, message, folder, mailbox, raw=True)
    return message, raw


async def view_message(db: Database, blobs: BlobStore, row_id: int, *, actor: str) -> MessageView:
    """Raises ``NotFoundError`` for an unknown row id, ``StorageError`` for a blob that cannot be read."""
    message, folder, mailbox = await _row(db, row_id)
    parsed = parse_message(read_checked(blobs, message.sha256))
    await _viewed(db, actor, message, folder, mailbox, raw=False)

    def people(addresses: list[Any]) -> list[str]:
        return [f"{a.name} <{a.address}>" if a.name else (a.address or "") for a in addresses]

    return MessageView(
        row_id=message.id,
        mailbox=mailbox.name,
        folder=folder.name,
        uid=message.uid,
        sha256=message.sha256,
        size=message.size,
        flags=list(message.flags),
        internal_date=message.internal_date,
        gone=message.gone_at is not None,
        message_id=parsed.message_id,
        subject=parsed.subject,
        from_=people(parsed.from_),
        to=people(parsed.to),
        cc=people(parsed.cc),
        date=parsed.date,
        text=parsed.text,
        attachments=[
            {"part": a.part_path, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in parsed.attachments
        ],
        defects=[{"kind": d.kind, "detail": d.detail} for d in parsed.defects],
    )
