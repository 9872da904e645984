"""Seals: the hash chain over archived messages, kept beside the rows instead of in the sync's hot path.

Each seal covers the message rows with ids in ``(prev_last_id, last_id]`` and hashes, in id order, what
identifies an archived copy and its content — row id, mailbox, folder, UIDVALIDITY, UID, sha256, size and
INTERNALDATE — after the previous seal's hash. Flags, tombstones and purge marks change legitimately and are
left out; a purge never deletes a row, so a purge keeps every seal valid.

Sealing happens after a sync pass (:mod:`mailwarden.sync.service`), reading the rows the pass committed.
Ids must be sealed in the order they become visible: on SQLite writers take turns, so an id is visible only
after every smaller one; on PostgreSQL a sequence hands out ids before their transactions commit, so the
sealer takes ``SHARE`` on ``archive_messages`` (waiting for in-flight inserts, holding new ones off for the
few milliseconds the seal takes) and ``EXCLUSIVE`` on ``archive_seals`` (one sealer at a time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.models import Folder, Message, Seal
from mailwarden.audit.chain import GENESIS, utc_text
from mailwarden.core.errors import StorageError
from mailwarden.db.engine import Database

__all__ = ["SEAL_ROWS", "SealBreak", "SealReport", "row_line", "seal", "seal_hash", "verify_seals"]

#: rows per seal at most: a broken seal names a range this big, and a seal's ``rows`` text stays ~100 KB
SEAL_ROWS = 5000
_COLUMNS = (
    Message.id,
    Message.mailbox_id,
    Message.folder_id,
    Message.uidvalidity,
    Message.uid,
    Message.sha256,
    Message.size,
    Message.internal_date,
)
Row = tuple[int, int, int, int, int, str, int, datetime | None]


def row_line(row: Row) -> bytes:
    """One row as the seal hashes it: tab-separated, the time as the audit chain writes it."""
    rid, mailbox, folder, uidvalidity, uid, sha, size, when = row
    stamp = utc_text(when) if when is not None else "-"
    return f"{rid}\t{mailbox}\t{folder}\t{uidvalidity}\t{uid}\t{sha}\t{size}\t{stamp}\n".encode()


def seal_hash(seq: int, prev_last_id: int, last_id: int, prev_hash: str, rows: Sequence[Row]) -> str:
    return _digests(seq, prev_last_id, last_id, prev_hash, rows)[0]


def _digests(
    seq: int, prev_last_id: int, last_id: int, prev_hash: str, rows: Sequence[Row]
) -> tuple[str, str]:
    """The seal's hash, and its ``rows`` text (each line encoded once for both)."""
    digest = hashlib.sha256(
        f"mailwarden-seal-1\t{seq}\t{prev_last_id}\t{last_id}\t{len(rows)}\t{prev_hash}\n".encode()
    )
    marks = []
    sha256 = hashlib.sha256
    for row in rows:
        line = row_line(row)
        digest.update(line)
        marks.append(f"{row[0]}:{sha256(line).hexdigest()[:12]}")
    return digest.hexdigest(), ",".join(marks)


async def _rows(session: AsyncSession, after: int, upto: int | None, limit: int | None) -> list[Row]:
    query = select(*_COLUMNS).where(Message.id > after).order_by(Message.id)
    if upto is not None:
        query = query.where(Message.id <= upto)
    if limit is not None:
        query = query.limit(limit)
    return [tuple(r) for r in (await session.execute(query)).all()]  # type: ignore[misc]


async def seal(db: Database, *, max_rows: int = SEAL_ROWS) -> int:
    """Seal every message row not sealed yet; returns how many seals were added. Safe to run concurrently:
    a sealer that loses the race adds nothing (the winner sealed those rows)."""
    added = 0
    while True:
        try:
            async with db.session() as session, session.begin():
                if not db.is_sqlite:
                    await session.execute(text("LOCK TABLE archive_seals IN EXCLUSIVE MODE"))
                    await session.execute(text("LOCK TABLE archive_messages IN SHARE MODE"))
                last = (
                    await session.execute(select(Seal.seq, Seal.last_id, Seal.hash).order_by(Seal.seq.desc()))
                ).first()
                seq, after, prev = (last[0] + 1, last[1], last[2]) if last else (1, 0, GENESIS)
                rows = await _rows(session, after, None, max_rows)
                if not rows:
                    return added
                upto = rows[-1][0]
                digest, marks = _digests(seq, after, upto, prev, rows)
                session.add(
                    Seal(
                        seq=seq,
                        prev_last_id=after,
                        last_id=upto,
                        count=len(rows),
                        prev_hash=prev,
                        hash=digest,
                        rows=marks,
                    )
                )
        except StorageError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return added  # another sealer got there first
            raise
        added += 1
        if len(rows) < max_rows:
            return added


@dataclass(frozen=True)
class SealBreak:
    """``kind``: ``modified`` (a sealed row changed, appeared or disappeared: ``row_id`` names the first),
    ``link`` (a seal does not follow the one before), ``missing`` (a seal was deleted) or ``anchor`` (the
    expected head is not among the seals)."""

    kind: str
    seal: int
    detail: str
    row_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seal": self.seal, "row_id": self.row_id, "detail": self.detail}


@dataclass
class SealReport:
    seals: int = 0
    rows: int = 0
    head_hash: str = GENESIS
    #: rows newer than the last seal (sealed at the end of the next sync)
    unsealed: int = 0
    broken: SealBreak | None = None
    #: the seal whose hash is the ``expect_head`` given
    anchor_seal: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seals": self.seals,
            "rows": self.rows,
            "head_hash": self.head_hash,
            "unsealed": self.unsealed,
            "broken": self.broken.as_dict() if self.broken else None,
            "anchor_seal": self.anchor_seal,
        }


async def verify_seals(db: Database, *, expect_head: str | None = None) -> SealReport:
    """Recompute every seal from the rows as they are now; name the first broken seal and, where the
    seal's row digests allow, the first changed row. ``expect_head``, a seal head written down earlier,
    must be the hash of one of the seals (seals deleted from the end are found only so)."""
    report = SealReport()
    wanted = expect_head.strip().lower() if expect_head else None
    prev, prev_last, expected = GENESIS, 0, 1
    async with db.session() as session:
        after = 0
        while report.broken is None:
            seals = (
                await session.scalars(select(Seal).where(Seal.seq > after).order_by(Seal.seq).limit(100))
            ).all()
            for one in seals:
                report.broken = await _check_seal(session, one, expected, prev, prev_last)
                if report.broken is not None:
                    break
                report.seals += 1
                report.rows += one.count
                if one.hash == wanted:
                    report.anchor_seal = one.seq
                prev, prev_last, expected = one.hash, one.last_id, one.seq + 1
            if len(seals) < 100:
                break
            after = seals[-1].seq
        report.head_hash = prev
        if report.broken is None and wanted is not None and report.anchor_seal is None:
            report.broken = SealBreak("anchor", 0, f"no seal has the hash {wanted}")
        report.unsealed = int(
            await session.scalar(select(func.count()).select_from(Message).where(Message.id > prev_last)) or 0
        )
    return report


async def _check_seal(
    session: AsyncSession, one: Seal, expected: int, prev: str, prev_last: int
) -> SealBreak | None:
    if one.seq != expected:
        return SealBreak("missing", expected, f"the next seal present is {one.seq}")
    if one.prev_hash != prev or one.prev_last_id != prev_last:
        return SealBreak("link", one.seq, "it does not follow the seal before it")
    rows = await _rows(session, one.prev_last_id, one.last_id, None)
    if seal_hash(one.seq, one.prev_last_id, one.last_id, prev, rows) == one.hash and len(rows) == one.count:
        return None
    row_id, what = _first_difference(one.rows, rows)
    detail = f"rows {one.prev_last_id + 1}-{one.last_id}: {what}"
    if row_id is not None:
        where = (
            await session.execute(
                select(Folder.name, Message.uid)
                .join(Folder, Message.folder_id == Folder.id)
                .where(Message.id == row_id)
            )
        ).first()
        if where is not None:
            detail += f" ({where[0]} UID {where[1]})"
    return SealBreak("modified", one.seq, detail, row_id)


def _first_difference(recorded: str, rows: Sequence[Row]) -> tuple[int | None, str]:
    sealed = dict(item.split(":", 1) for item in recorded.split(",") if ":" in item)
    now = {str(row[0]): hashlib.sha256(row_line(row)).hexdigest()[:12] for row in rows}
    for rid in sorted({int(k) for k in sealed} | {int(k) for k in now}):
        key = str(rid)
        if key not in now:
            return rid, f"row {rid} was deleted"
        if key not in sealed:
            return rid, f"row {rid} was added inside a sealed range"
        if sealed[key] != now[key]:
            return rid, f"row {rid} was changed"
    return None, "the seal's own fields were changed"
