"""Purging: schedule a batch, cancel it during its grace period, run it once the grace period is over.

* **schedule** marks the due messages (see :mod:`.plan`) with a new batch; nothing is removed.
* **cancel** unmarks them; allowed at any time before the batch runs.
* **run** executes the batches past their grace: it checks each message again *at that moment* — a hold
  added or a policy lengthened since the schedule keeps it — marks the rest ``purged_at`` and then removes
  each blob that no un-purged row references any more (blobs are shared between folders and mailboxes by
  content). Rows are never deleted, so every seal stays valid and the archive still says a message existed.

Each step is one transaction with its audit event. A batch is claimed by a conditional UPDATE of its state,
so two runs, or a run and a cancel, cannot both act on it. Blob files are removed after that commit; a run
stopped in between leaves them for the next run (``blobs_done_at`` is still empty), never a purged row whose
blob another message still needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder, Message
from mailwarden.audit.service import record
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox
from mailwarden.retention.models import PurgeBatch, RetentionPolicy
from mailwarden.retention.plan import COLUMNS, active_holds, candidate, effective_policy, make_plan
from mailwarden.retention.rules import cutoff, held_by

__all__ = ["RunResult", "batch_dict", "cancel", "list_batches", "run_due", "schedule"]

#: ids per UPDATE ... IN (...): well under SQLite's 32,766 bound parameters
_CHUNK = 500


def batch_dict(batch: PurgeBatch) -> dict[str, Any]:
    return {
        "batch": batch.id,
        "state": batch.state,
        "messages": batch.messages,
        "bytes": batch.bytes,
        "created_by": batch.created_by,
        "created_at": batch.created_at.isoformat(),
        "grace_until": batch.grace_until.isoformat(),
        "cancelled_at": batch.cancelled_at.isoformat() if batch.cancelled_at else None,
        "cancelled_by": batch.cancelled_by,
        "executed_at": batch.executed_at.isoformat() if batch.executed_at else None,
        "executed_by": batch.executed_by,
        "purged": batch.purged,
        "kept": batch.kept,
        "blobs_removed": batch.blobs_removed,
    }


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


async def schedule(
    db: Database, actor: str, mailboxes: Sequence[Mailbox], grace_days: int
) -> PurgeBatch | None:
    """A batch of every message due now in ``mailboxes``; None when nothing is due."""
    now = clock.now()
    async with db.session() as session, session.begin():
        plan = await make_plan(session, mailboxes, now)
        if not plan.due:
            return None
        batch = PurgeBatch(created_by=actor, created_at=now, grace_until=now + timedelta(days=grace_days))
        session.add(batch)
        await session.flush()
        for ids in _chunks([c.row_id for c in plan.due]):
            await session.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.purge_batch_id.is_(None), Message.purged_at.is_(None))
                .values(purge_batch_id=batch.id)
                .execution_options(synchronize_session=False)
            )
        count, size = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(Message.size), 0)).where(
                    Message.purge_batch_id == batch.id
                )
            )
        ).one()
        batch.messages, batch.bytes = int(count), int(size)
        await record(
            session,
            actor=actor,
            action="archive.purge.schedule",
            target=f"batch {batch.id}",
            detail={
                "messages": batch.messages,
                "bytes": batch.bytes,
                "grace_until": batch.grace_until.isoformat(),
                "mailboxes": sorted(box.name for box in mailboxes),
                "folders": [
                    {"mailbox": line.mailbox, "folder": line.folder, "due": line.due}
                    for line in plan.lines
                    if line.due
                ],
            },
        )
    return batch


async def cancel(db: Database, actor: str, batch_id: int) -> PurgeBatch:
    now = clock.now()
    async with db.session() as session, session.begin():
        batch = await session.get(PurgeBatch, batch_id)
        if batch is None:
            raise NotFoundError("retention.no_batch", batch=batch_id)
        claimed = await session.execute(
            update(PurgeBatch)
            .where(PurgeBatch.id == batch_id, PurgeBatch.state == "scheduled")
            .values(state="cancelled", cancelled_at=now, cancelled_by=actor)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("retention.batch_not_scheduled", batch=batch_id, state=batch.state)
        await session.execute(
            update(Message)
            .where(Message.purge_batch_id == batch_id, Message.purged_at.is_(None))
            .values(purge_batch_id=None)
            .execution_options(synchronize_session=False)
        )
        await record(
            session,
            actor=actor,
            action="archive.purge.cancel",
            target=f"batch {batch_id}",
            detail={"messages": batch.messages, "bytes": batch.bytes},
        )
    async with db.session() as session:
        found = await session.get(PurgeBatch, batch_id)
        assert found is not None
        return found


async def list_batches(db: Database) -> list[PurgeBatch]:
    async with db.session() as session:
        return list(await session.scalars(select(PurgeBatch).order_by(PurgeBatch.id)))


@dataclass
class RunResult:
    batch: int
    purged: int
    kept: int
    bytes: int
    blobs_removed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "purged": self.purged,
            "kept": self.kept,
            "bytes": self.bytes,
            "blobs_removed": self.blobs_removed,
        }


async def run_due(db: Database, store: BlobStore, actor: str) -> list[RunResult]:
    """Execute every scheduled batch whose grace period is over, then finish removing blobs of executed
    batches (this run's, and any an earlier run was stopped before finishing)."""
    now = clock.now()
    async with db.session() as session:
        due = list(
            await session.scalars(
                select(PurgeBatch.id)
                .where(PurgeBatch.state == "scheduled", PurgeBatch.grace_until <= now)
                .order_by(PurgeBatch.id)
            )
        )
    results = {batch_id: r for batch_id in due if (r := await _execute(db, actor, batch_id, now))}
    async with db.session() as session:
        unfinished = list(
            await session.scalars(
                select(PurgeBatch.id).where(
                    PurgeBatch.state == "executed", PurgeBatch.blobs_done_at.is_(None)
                )
            )
        )
    for batch_id in unfinished:
        removed = await _remove_blobs(db, store, batch_id)
        if batch_id in results:
            results[batch_id].blobs_removed = removed
    return list(results.values())


async def _execute(db: Database, actor: str, batch_id: int, now: datetime) -> RunResult | None:
    async with db.session() as session, session.begin():
        # the claim comes first: it is a write, so a concurrent run or cancel waits here, then finds the
        # batch taken and leaves it
        claimed = await session.execute(
            update(PurgeBatch)
            .where(PurgeBatch.id == batch_id, PurgeBatch.state == "scheduled")
            .values(state="executed", executed_at=now, executed_by=actor)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        purge, keep, size = await _recheck(session, batch_id, now)
        for ids in _chunks(purge):
            await session.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.purged_at.is_(None))
                .values(purged_at=now)
                .execution_options(synchronize_session=False)
            )
        for ids in _chunks(keep):
            await session.execute(
                update(Message)
                .where(Message.id.in_(ids))
                .values(purge_batch_id=None)
                .execution_options(synchronize_session=False)
            )
        await session.execute(
            update(PurgeBatch)
            .where(PurgeBatch.id == batch_id)
            .values(purged=len(purge), kept=len(keep))
            .execution_options(synchronize_session=False)
        )
        await record(
            session,
            actor=actor,
            action="archive.purge.execute",
            target=f"batch {batch_id}",
            detail={"purged": len(purge), "kept": len(keep), "bytes": size},
        )
    return RunResult(batch_id, len(purge), len(keep), size, 0)


async def _recheck(session: AsyncSession, batch_id: int, now: datetime) -> tuple[list[int], list[int], int]:
    """Split the batch's rows into those to purge now and those a hold or the current policy keeps."""
    rows = [
        candidate(row)
        for row in (
            await session.execute(
                select(*COLUMNS)
                .join(Folder, Message.folder_id == Folder.id)
                .where(Message.purge_batch_id == batch_id, Message.purged_at.is_(None))
                .order_by(Message.id)
            )
        ).all()
    ]
    mailbox_ids = {c.mailbox_id for c in rows}
    policies = list(
        await session.scalars(select(RetentionPolicy).where(RetentionPolicy.mailbox_id.in_(mailbox_ids)))
    )
    holds = await active_holds(session, mailbox_ids)
    purge: list[int] = []
    keep: list[int] = []
    size = 0
    for c in rows:
        policy = effective_policy(policies, c.mailbox_id, c.folder)
        expired = policy is not None and c.basis < cutoff(now, policy.keep_amount, policy.keep_unit)
        if expired and held_by(c, holds) is None:
            purge.append(c.row_id)
            size += c.size
        else:
            keep.append(c.row_id)
    return purge, keep, size


async def _remove_blobs(db: Database, store: BlobStore, batch_id: int) -> int:
    """Remove the blobs of the batch's purged rows that no un-purged row references."""
    async with db.session() as session:
        shas = sorted(
            await session.scalars(
                select(Message.sha256)
                .where(Message.purge_batch_id == batch_id, Message.purged_at.is_not(None))
                .distinct()
            )
        )
        unused: list[str] = []
        for i in range(0, len(shas), _CHUNK):
            part = shas[i : i + _CHUNK]
            needed = set(
                await session.scalars(
                    select(Message.sha256)
                    .where(Message.sha256.in_(part), Message.purged_at.is_(None))
                    .distinct()
                )
            )
            unused += [sha for sha in part if sha not in needed]
    removed = 0
    for sha in unused:
        removed += await asyncio.to_thread(store.remove, sha)
    async with db.session() as session, session.begin():
        await session.execute(
            update(PurgeBatch)
            .where(PurgeBatch.id == batch_id)
            .values(blobs_removed=PurgeBatch.blobs_removed + removed, blobs_done_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    return removed
