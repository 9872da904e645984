"""The folder ledger: which server folder is which archived folder, across renames and UIDVALIDITY resets.

Identity is (name, UIDVALIDITY), or MAILBOXID (RFC 8474) when the server has OBJECTID. What the server no
longer lists is marked gone — its messages tombstoned, never deleted — and a person is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from mailwarden.archive import service
from mailwarden.archive.models import Folder, Message
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.imap.folders import Folder as ServerFolder
from mailwarden.sync.skip import pair_folders

__all__ = ["FolderPlan", "reconcile_folders"]

log = logging.getLogger(__name__)


@dataclass
class FolderPlan:
    server: ServerFolder
    row: Folder


async def _retire(db: Database, row: Folder, state: str, reason: str) -> int:
    """Take a folder generation out of service; its copies become tombstones with ``reason``."""
    now = clock.now()
    async with db.session() as session, session.begin():
        await session.execute(update(Folder).where(Folder.id == row.id).values(state=state, gone_at=now))
        ids = list(
            await session.scalars(
                select(Message.id).where(Message.folder_id == row.id, Message.gone_at.is_(None))
            )
        )
    return await service.tombstone(db, ids, reason)


def _same_folder_renamed(row: Folder, server: ServerFolder) -> bool:
    status = server.status
    if status is None:
        return False
    if row.object_id and status.mailbox_id:
        return row.object_id == status.mailbox_id
    # Without MAILBOXID: a rename keeps UIDVALIDITY and UIDNEXT (Dovecot, Cyrus); a new folder with the same
    # pair would have to be created in the same second and hold as many messages.
    return (
        status.uidvalidity == row.uidvalidity
        and status.uidnext is not None
        and status.uidnext == row.uidnext
        and status.messages == row.server_messages
    )


async def reconcile_folders(db: Database, mailbox_id: int, listed: list[ServerFolder]) -> list[FolderPlan]:
    """Match the server's folders with ours; create, supersede, rename or retire rows. Returns the plan."""
    async with db.session() as session:
        active = list(
            await session.scalars(
                select(Folder).where(Folder.mailbox_id == mailbox_id, Folder.state == "active")
            )
        )
    pairing = pair_folders(listed, active)
    plans = [FolderPlan(server, row) for server, row in pairing.matched]
    for server, row in pairing.superseded:
        assert server.status is not None
        tombstoned = await _retire(db, row, "superseded", "uidvalidity_changed")
        await service.alert(
            db,
            mailbox_id,
            "uidvalidity_changed",
            server.name,
            old=row.uidvalidity,
            new=server.status.uidvalidity,
            copies=tombstoned,
        )
        log.warning("folder %s: UIDVALIDITY changed; the old generation is kept", server.name)
    by_name = pairing.leftover
    for server in pairing.unmatched:
        renamed = next((row for row in by_name.values() if _same_folder_renamed(row, server)), None)
        async with db.session() as session, session.begin():
            if renamed is not None:
                del by_name[renamed.name]
                old_name = renamed.name
                renamed = await session.merge(renamed)
                renamed.name = server.name
                row = renamed
            else:
                assert server.status is not None and server.status.uidvalidity is not None
                row = Folder(
                    mailbox_id=mailbox_id,
                    name=server.name,
                    uidvalidity=server.status.uidvalidity,
                    object_id=server.status.mailbox_id,
                )
                session.add(row)
            row.delimiter = server.delimiter
            row.special_use = server.special_use
        if renamed is not None:
            await service.alert(db, mailbox_id, "folder_renamed", server.name, old=old_name)
        plans.append(FolderPlan(server, row))
    for gone in by_name.values():
        tombstoned = await _retire(db, gone, "gone", "folder_gone")
        await service.alert(db, mailbox_id, "folder_gone", gone.name, copies=tombstoned)
        log.warning("folder %s is no longer on the server; its %d copies are kept", gone.name, tombstoned)
    return plans
