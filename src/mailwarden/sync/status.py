"""What ``archive status`` shows: per folder, the server's count at the last pass, what is archived and
tombstoned, when it was last synced and how long ago; the last run and the alerts nobody acknowledged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from mailwarden.archive.models import Folder, Message, SyncAlert, SyncRun
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox

__all__ = ["FolderStatus", "MailboxStatus", "mailbox_status"]


@dataclass
class FolderStatus:
    name: str
    state: str
    server: int | None
    archived: int
    tombstones: int
    last_synced_at: datetime | None

    @property
    def lag_seconds(self) -> float | None:
        return None if self.last_synced_at is None else (clock.now() - self.last_synced_at).total_seconds()


@dataclass
class MailboxStatus:
    name: str
    folders: list[FolderStatus] = field(default_factory=list)
    last_run: SyncRun | None = None
    alerts: list[SyncAlert] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        run = self.last_run
        return {
            "mailbox": self.name,
            "last_run": None
            if run is None
            else {
                "status": run.status,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "fetched": run.fetched,
                "error_kind": run.error_kind,
                "error": run.error,
            },
            "folders": [
                {
                    "name": f.name,
                    "state": f.state,
                    "server": f.server,
                    "archived": f.archived,
                    "tombstones": f.tombstones,
                    "last_synced_at": f.last_synced_at,
                    "lag_seconds": f.lag_seconds,
                }
                for f in self.folders
            ],
            "alerts": [
                {"kind": a.kind, "folder": a.folder, "detail": a.detail, "created_at": a.created_at}
                for a in self.alerts
            ],
        }


async def mailbox_status(db: Database, mailbox: Mailbox) -> MailboxStatus:
    status = MailboxStatus(mailbox.name)
    live = func.sum(case((Message.gone_at.is_(None), 1), else_=0))
    gone = func.sum(case((Message.gone_at.is_not(None), 1), else_=0))
    async with db.session() as session:
        counts = {
            folder_id: (int(a or 0), int(g or 0))
            for folder_id, a, g in await session.execute(
                select(Message.folder_id, live, gone)
                .where(Message.mailbox_id == mailbox.id)
                .group_by(Message.folder_id)
            )
        }
        for folder in await session.scalars(
            select(Folder).where(Folder.mailbox_id == mailbox.id).order_by(Folder.state, Folder.name)
        ):
            archived, tombstones = counts.get(folder.id, (0, 0))
            status.folders.append(
                FolderStatus(
                    folder.name if folder.state == "active" else f"{folder.name} ({folder.state})",
                    folder.state,
                    folder.server_messages,
                    archived,
                    tombstones,
                    folder.last_synced_at,
                )
            )
        status.last_run = await session.scalar(
            select(SyncRun).where(SyncRun.mailbox_id == mailbox.id).order_by(SyncRun.id.desc()).limit(1)
        )
        status.alerts = list(
            await session.scalars(
                select(SyncAlert)
                .where(SyncAlert.mailbox_id == mailbox.id, SyncAlert.acknowledged_at.is_(None))
                .order_by(SyncAlert.id.desc())
                .limit(20)
            )
        )
    return status
