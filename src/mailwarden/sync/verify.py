"""Verify: the server and the archive compared folder by folder, every difference named.

"5 of 155,313 missing" helps nobody (imapsync #390). Each problem is listed with folder, UID, Message-ID,
subject and date:

* ``missing``    — on the server, not in the archive;
* ``extra``      — the archive believes it is on the server, but the server no longer has it (the next sync
  tombstones it);
* ``mismatched`` — same UID, different size: the archived bytes are not the server's;
* ``damaged``    — the archived blob is absent or no longer hashes to its name (``deep`` re-hashes every
  blob; otherwise only presence is checked).

Read-only like sync: EXAMINE, and only RFC822.SIZE and PEEKed header fields are fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder, Message
from mailwarden.db.engine import Database
from mailwarden.imap.client import IMAPClient
from mailwarden.imap.literals import BytesLiteral, FileLiteral
from mailwarden.imap.uidset import UidSet
from mailwarden.mime import parse_message

__all__ = ["Difference", "FolderReport", "VerifyReport", "verify_mailbox"]

Literal = (BytesLiteral, FileLiteral)
HEADERS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT DATE)]"


@dataclass
class Difference:
    kind: str  # missing | extra | mismatched | damaged
    folder: str
    uid: int
    message_id: str | None = None
    subject: str | None = None
    date: datetime | None = None
    detail: str | None = None


@dataclass
class FolderReport:
    name: str
    server: int = 0
    archived: int = 0
    differences: list[Difference] = field(default_factory=list)


@dataclass
class VerifyReport:
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def differences(self) -> list[Difference]:
        return [d for f in self.folders for d in f.differences]

    @property
    def ok(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "folders": [
                {
                    "name": f.name,
                    "server": f.server,
                    "archived": f.archived,
                    "differences": [asdict(d) for d in f.differences],
                }
                for f in self.folders
            ],
        }


async def _server_sizes(client: IMAPClient, uids: UidSet) -> dict[int, int]:
    sizes: dict[int, int] = {}
    results = client.uid_fetch(uids, ["RFC822.SIZE"])
    async with contextlib.aclosing(results) as stream:
        async for result in stream:
            sizes[result.uid] = result.size or 0
    return sizes


async def _server_headers(client: IMAPClient, folder: str, uids: list[int]) -> list[Difference]:
    found: list[Difference] = []
    if not uids:
        return found
    results = client.uid_fetch(UidSet.of(uids), [HEADERS])
    async with contextlib.aclosing(results) as stream:
        async for result in stream:
            raw = b""
            for key, value in result.items.items():
                if key.startswith("BODY[HEADER.FIELDS") and isinstance(value, Literal):
                    raw = value.read_bytes()
            parsed = parse_message(raw)
            found.append(
                Difference("missing", folder, result.uid, parsed.message_id, parsed.subject, parsed.date)
            )
            result.discard()
    return found


async def _verify_folder(
    db: Database, store: BlobStore, client: IMAPClient, row: Folder, deep: bool
) -> FolderReport:
    report = FolderReport(row.name)
    selected = await client.examine(row.name)
    async with db.session() as session:
        archived = {
            m.uid: m
            for m in await session.scalars(
                select(Message).where(
                    Message.folder_id == row.id,
                    Message.uidvalidity == row.uidvalidity,
                    Message.gone_at.is_(None),
                )
            )
        }
    report.archived = len(archived)
    if selected.uidvalidity != row.uidvalidity:
        report.differences.append(
            Difference(
                "mismatched", row.name, 0, detail=f"UIDVALIDITY {selected.uidvalidity} != {row.uidvalidity}"
            )
        )
        return report
    server_uids = await client.uid_search("ALL") if selected.exists else UidSet()
    report.server = len(server_uids)
    sizes = await _server_sizes(client, server_uids) if server_uids else {}
    missing = [uid for uid in server_uids if uid not in archived]
    report.differences += await _server_headers(client, row.name, missing)
    for uid, message in sorted(archived.items()):
        where = (row.name, uid, message.message_id, message.subject, message.date)
        if uid not in server_uids:
            report.differences.append(Difference("extra", *where))
        elif sizes.get(uid) != message.size:
            detail = f"server {sizes.get(uid)} bytes, archive {message.size}"
            report.differences.append(Difference("mismatched", *where, detail=detail))
        if message.purged_at is not None:
            continue  # purged by retention: the blob is gone on purpose (decision 0010)
        if deep:
            intact = await asyncio.to_thread(store.verify, message.sha256)
        else:
            intact = store.path_for(message.sha256).is_file()
        if not intact:
            report.differences.append(Difference("damaged", *where, detail=f"blob {message.sha256}"))
    return report


async def verify_mailbox(
    db: Database, store: BlobStore, client: IMAPClient, mailbox_id: int, *, deep: bool = False
) -> VerifyReport:
    """Compare every active archived folder, and every server folder we have not archived at all."""
    report = VerifyReport()
    async with db.session() as session:
        rows = list(
            await session.scalars(
                select(Folder)
                .where(Folder.mailbox_id == mailbox_id, Folder.state == "active")
                .order_by(Folder.name)
            )
        )
    known = {row.name for row in rows}
    for folder in await client.list_folders(with_status=True):
        if folder.selectable and folder.name not in known:
            count = folder.status.messages if folder.status else None
            report.folders.append(
                FolderReport(
                    folder.name,
                    server=count or 0,
                    differences=[Difference("missing", folder.name, 0, detail="folder never archived")],
                )
            )
    for row in rows:
        report.folders.append(await _verify_folder(db, store, client, row, deep))
    return report
