"""Reading archive rows in id order from a cursor, without losing rows that commit out of order.

Consumers of the archive (the search index, the team inbox) read ``archive_messages`` by increasing id from a
cursor: "every row up to here is done". On PostgreSQL, concurrent transactions can commit ids out of order —
a reader may see 101 before the transaction holding 100 commits. The ids a batch passes over without seeing
are kept as *holes* and looked for again on later reads, until :data:`HOLE_PATIENCE` has passed (an insert
that rolled back leaves its id unused for good).

A hole is ``[first id, last id, first seen (ISO 8601)]``: a JSON-friendly list, because each consumer keeps
its holes next to its cursor (a state file, a database row) and must write both in one step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_

from mailwarden.archive.models import Message
from mailwarden.core import clock

__all__ = ["HOLE_PATIENCE", "Hole", "advance", "pending", "pending_count"]

#: seconds a hole (an id passed over) is looked for before it is taken as a rolled-back insert
HOLE_PATIENCE = 900.0

Hole = list[Any]  # [first id, last id, first seen ISO 8601]


def pending(after: int, holes: Sequence[Hole]) -> ColumnElement[bool]:
    """The archive rows still to read: after the cursor, or inside a hole."""
    condition = Message.id > after
    if holes:
        return or_(condition, *(Message.id.between(int(lo), int(hi)) for lo, hi, _ in holes))
    return condition


def pending_count(holes: Sequence[Hole]) -> int:
    """How many ids the holes span (an upper bound of the rows still to come from them)."""
    return sum(int(hi) - int(lo) + 1 for lo, hi, _ in holes)


def _age(first_seen: str, now: datetime) -> float:
    return (now - datetime.fromisoformat(first_seen)).total_seconds()


def advance(
    after: int,
    holes: Sequence[Hole],
    seen: Iterable[int],
    *,
    now: datetime | None = None,
    patience: float = HOLE_PATIENCE,
) -> tuple[int, list[Hole]]:
    """The cursor and holes after a batch that read the row ids ``seen`` (from :func:`pending`).

    Known holes are split around the ids that showed up, and dropped once older than ``patience``; the gaps
    the batch passed over above ``after`` become new holes.
    """
    now = now or clock.now()
    ids = sorted(set(seen))
    kept: list[Hole] = []
    for lo, hi, first_seen in holes:
        if _age(first_seen, now) >= patience:
            continue
        start = int(lo)
        for row_id in (i for i in ids if lo <= i <= hi):
            if row_id > start:
                kept.append([start, row_id - 1, first_seen])
            start = row_id + 1
        if start <= hi:
            kept.append([start, int(hi), first_seen])
    previous, stamp = after, now.isoformat()
    for row_id in (i for i in ids if i > after):
        if row_id > previous + 1:
            kept.append([previous + 1, row_id - 1, stamp])
        previous = row_id
    return max(after, previous), kept
