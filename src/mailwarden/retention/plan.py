"""Which archived messages retention would purge now: per mailbox and folder, what is due, what a legal hold
keeps, and what is already in a scheduled batch. Reading only: ``archive purge plan`` changes nothing.

The most specific policy wins: a folder's own policy, else its mailbox's; no policy keeps forever. A folder
policy covers that folder name exactly (every UIDVALIDITY generation of it), not its subfolders: a policy
on ``Projects`` that silently shortened ``Projects/Legal`` would be the wrong surprise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Folder, Message
from mailwarden.mailboxes.models import Mailbox
from mailwarden.retention.models import ALL_FOLDERS, LegalHold, RetentionPolicy
from mailwarden.retention.rules import Candidate, HoldScope, cutoff, held_by, keep_text

__all__ = [
    "BASIS",
    "Plan",
    "PlanLine",
    "active_holds",
    "candidate",
    "effective_policy",
    "make_plan",
    "scheduled_held",
]

#: the date a message's age counts from (see :mod:`.rules`)
BASIS: ColumnElement[datetime] = func.coalesce(Message.internal_date, Message.date, Message.archived_at)
COLUMNS = (
    Message.id,
    Message.mailbox_id,
    Folder.name,
    BASIS.label("basis"),
    Message.sha256,
    Message.size,
    Message.from_addr,
    Message.to,
    Message.cc,
    Message.purge_batch_id,
)


def candidate(row: Any) -> Candidate:
    return Candidate(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] or [], row[8] or [])


@dataclass
class PlanLine:
    mailbox: str
    folder: str
    keep: str
    cutoff: datetime
    due: int = 0
    due_bytes: int = 0
    held: int = 0
    scheduled: int = 0
    holds: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "folder": self.folder,
            "keep": self.keep,
            "cutoff": self.cutoff.isoformat(),
            "due": self.due,
            "due_bytes": self.due_bytes,
            "held": self.held,
            "held_by": sorted(self.holds),
            "scheduled": self.scheduled,
        }


@dataclass
class Plan:
    lines: list[PlanLine] = field(default_factory=list)
    #: the messages a schedule would put in a batch
    due: list[Candidate] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": len(self.due),
            "due_bytes": sum(c.size for c in self.due),
            "held": sum(line.held for line in self.lines),
            "scheduled": sum(line.scheduled for line in self.lines),
            "folders": [line.as_dict() for line in self.lines],
        }


def effective_policy(
    policies: Iterable[RetentionPolicy], mailbox_id: int, folder: str
) -> RetentionPolicy | None:
    mine = {p.folder: p for p in policies if p.mailbox_id == mailbox_id}
    return mine.get(folder) or mine.get(ALL_FOLDERS)


async def active_holds(session: AsyncSession, mailbox_ids: Iterable[int] | None = None) -> list[HoldScope]:
    query = select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.id)
    if mailbox_ids is not None:
        query = query.where(LegalHold.mailbox_id.in_(list(mailbox_ids)))
    return [
        HoldScope(h.name, h.mailbox_id, h.folder, h.since, h.before, h.address)
        for h in await session.scalars(query)
    ]


async def make_plan(session: AsyncSession, mailboxes: Sequence[Mailbox], now: datetime) -> Plan:
    plan = Plan()
    ids = [box.id for box in mailboxes]
    policies = list(
        await session.scalars(
            select(RetentionPolicy)
            .where(RetentionPolicy.mailbox_id.in_(ids))
            .order_by(RetentionPolicy.mailbox_id, RetentionPolicy.folder)
        )
    )
    holds = await active_holds(session, ids)
    names = {box.id: box.name for box in mailboxes}
    for policy in policies:
        specific = [p.folder for p in policies if p.mailbox_id == policy.mailbox_id and p.folder]
        limit = cutoff(now, policy.keep_amount, policy.keep_unit)
        query = (
            select(*COLUMNS)
            .join(Folder, Message.folder_id == Folder.id)
            .where(Message.mailbox_id == policy.mailbox_id, Message.purged_at.is_(None), limit > BASIS)
            .order_by(Folder.name, Message.id)
        )
        if policy.folder != ALL_FOLDERS:
            query = query.where(Folder.name == policy.folder)
        elif specific:
            query = query.where(Folder.name.not_in(specific))
        lines: dict[str, PlanLine] = {}
        keep = keep_text(policy.keep_amount, policy.keep_unit)
        for row in (await session.execute(query)).all():
            found = candidate(row)
            line = lines.setdefault(
                found.folder, PlanLine(names[policy.mailbox_id], found.folder, keep, limit)
            )
            if row[9] is not None:
                line.scheduled += 1
            elif (hold := held_by(found, holds)) is not None:
                line.held += 1
                line.holds.add(hold)
            else:
                line.due += 1
                line.due_bytes += found.size
                plan.due.append(found)
        plan.lines.extend(lines.values())
    plan.lines.sort(key=lambda line: (line.mailbox, line.folder))
    return plan


async def scheduled_held(session: AsyncSession, hold: LegalHold) -> int:
    """How many messages waiting in scheduled purge batches ``hold`` covers: the run will keep them."""
    scope = HoldScope(hold.name, hold.mailbox_id, hold.folder, hold.since, hold.before, hold.address)
    rows = await session.execute(
        select(*COLUMNS)
        .join(Folder, Message.folder_id == Folder.id)
        .where(
            Message.mailbox_id == hold.mailbox_id,
            Message.purge_batch_id.is_not(None),
            Message.purged_at.is_(None),
        )
    )
    return sum(1 for row in rows.all() if held_by(candidate(row), [scope]) is not None)
