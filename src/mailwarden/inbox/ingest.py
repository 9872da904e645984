"""Turning archived messages into conversations: in archive order, from a durable cursor, crash-safe.

One pass reads archive rows by increasing id after the cursor (and in its holes: rows PostgreSQL committed
out of order, :mod:`mailwarden.archive.holes`), ``[inbox] batch`` at a time. For each batch:

1. outside any transaction, the blobs are read and parsed and every decision that needs no table is made
   on a thread (:mod:`.prepare`) — the slow part, so the write transaction stays short;
2. ONE transaction *claims* the cursor (``UPDATE ... WHERE batches = <as read>``: a second ingest running
   at the same time finds the count changed, commits nothing and reads again), places each message
   (:mod:`.place`), calls the ``on_placed`` hook, and writes the new cursor and holes.

A kill -9 anywhere leaves either the whole batch with its cursor, or neither. And a batch read again —
the cursor reset to 0, a hole that showed up late — changes nothing: rows whose (mailbox, sha256) is
placed are passed over before they are parsed, and one inbox message per (mailbox, sha256) is a unique
constraint besides. Copies in Drafts, Junk and Trash are passed over too (:func:`not_for_inbox`).

``on_placed`` runs inside the batch's transaction for every message placed: where assignment and the SLA
clock will start (later steps of issue 6), so that they commit or roll back with the message.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.archive import holes as holes_
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder, Message
from mailwarden.core import clock
from mailwarden.core.settings import InboxSettings
from mailwarden.db.engine import Database
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.lookup import BatchLookup
from mailwarden.inbox.models import ConversationMessage, IngestCursor
from mailwarden.inbox.place import Placed, place
from mailwarden.inbox.prepare import ArchiveRow, Prepared, Team, prepare_many
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "CURSOR",
    "IngestReport",
    "OnPlaced",
    "ingest",
    "load_team",
    "not_for_inbox",
    "reset_cursor",
    "team_for",
]

#: RFC 6154 uses of folders whose copies open nothing (see :func:`not_for_inbox`)
_SET_ASIDE_USES = frozenset({"\\Drafts", "\\Junk", "\\Trash"})
#: the same folders by name, for servers without SPECIAL-USE: English, German, French, Spanish, Chinese
#: (QQ Mail, NetEase and Aliyun name them so), compared case-insensitively on the last path element
_SET_ASIDE_NAMES = frozenset(
    {
        "drafts", "draft", "junk", "junk e-mail", "junk email", "spam", "bulk mail", "trash",
        "deleted items", "deleted messages", "deleted", "bin", "entwürfe", "papierkorb", "brouillons",
        "corbeille", "indésirables", "borradores", "papelera", "草稿箱", "草稿", "垃圾邮件", "垃圾箱",
        "已删除", "已删除邮件", "废件箱",
    }
)  # fmt: skip

#: the cursor's name: one for the whole archive (messages of every mailbox, in archive order)
CURSOR = "archive"

OnPlaced = Callable[[AsyncSession, Placed], Awaitable[None]]
Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    read: int = 0  # archive rows read (copies included)
    outcomes: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    #: batches given up because another ingest committed first (they are read again)
    lost_claims: int = 0
    cursor: int = 0
    holes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "outcomes": dict(sorted(self.outcomes.items())),
            "batches": self.batches,
            "lost_claims": self.lost_claims,
            "cursor": self.cursor,
            "holes": self.holes,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _State:
    position: int
    holes: list[Any]
    batches: int


async def load_team(
    db: Database,
    token_keys: Sequence[bytes],
    *,
    extra_addresses: Sequence[str] = (),
    list_ids: Sequence[str] = (),
    backlog_days: float | None = None,
) -> Team:
    """The team as the tables say: every mailbox's address and domain, every agent's address; and, with
    ``backlog_days`` (``[inbox] backlog_days``), where each mailbox's history ends."""
    async with db.session() as session:
        rows = (await session.execute(select(Mailbox.id, Mailbox.address, Mailbox.created_at))).all()
        agents = list(await session.scalars(select(Agent.email)))
    mailboxes = [address for _, address, _ in rows]
    history_before: dict[int, datetime] = {}
    if backlog_days is not None:
        history_before = {id_: as_utc(added) - timedelta(days=backlog_days) for id_, _, added in rows}
    domains = tuple(sorted({address.rpartition("@")[2].lower() for address in mailboxes if "@" in address}))
    return Team(
        addresses=tuple(dict.fromkeys([*mailboxes, *agents, *extra_addresses])),
        domains=domains,
        token_keys=tuple(token_keys),
        list_ids=tuple(list_ids),
        history_before=history_before,
    )


async def team_for(db: Database, token_keys: Sequence[bytes], settings: InboxSettings) -> Team:
    """:func:`load_team` with what ``[inbox]`` says: own addresses, own lists, the backlog window."""
    return await load_team(
        db,
        token_keys,
        extra_addresses=settings.own_addresses,
        list_ids=settings.own_list_ids,
        backlog_days=settings.backlog_days,
    )


async def _ensure_cursor(db: Database) -> None:
    async with db.session() as session, session.begin():
        new = {"name": CURSOR, "position": 0, "holes": [], "batches": 0, "updated_at": clock.now()}
        await session.execute(db.insert(IngestCursor).values(**new).on_conflict_do_nothing())


async def _state(db: Database) -> _State:
    async with db.session() as session:
        cursor = await session.get(IngestCursor, CURSOR)
        assert cursor is not None  # made by _ensure_cursor; never deleted
        return _State(cursor.position, list(cursor.holes), cursor.batches)


async def reset_cursor(db: Database) -> None:
    """Read the archive again from the start (what was placed stays: re-reading changes nothing)."""
    async with db.session() as session, session.begin():
        await session.execute(
            update(IngestCursor)
            .where(IngestCursor.name == CURSOR)
            .values(position=0, holes=[], batches=IngestCursor.batches + 1, updated_at=clock.now())
        )


def not_for_inbox(special_use: str | None, name: str) -> bool:
    """Whether a copy in this folder says nothing about a conversation: a draft was never sent, junk and
    trash were set aside by the team or its filter. Such copies are passed over, not recorded — recorded,
    they would hide the same bytes moved to INBOX later ("not spam", restored from Trash) as ``already``."""
    if special_use is not None:
        return special_use in _SET_ASIDE_USES
    return name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].strip().casefold() in _SET_ASIDE_NAMES


async def _rows(
    db: Database, state: _State, limit: int
) -> tuple[list[ArchiveRow], set[tuple[int, str]], set[int]]:
    """The next rows; the (mailbox, sha256) placed already (not parsed again); the ids of rows in a folder
    of drafts, junk or trash (:func:`not_for_inbox`)."""
    async with db.session() as session:
        found = await session.execute(
            select(
                Message.id,
                Message.mailbox_id,
                Message.sha256,
                Message.internal_date,
                Message.archived_at,
                Folder.special_use,
                Folder.name,
            )
            .join(Folder, Folder.id == Message.folder_id)
            .where(holes_.pending(state.position, state.holes))
            .order_by(Message.id)
            .limit(limit)
        )
        rows: list[ArchiveRow] = []
        set_aside: list[ArchiveRow] = []
        for row_id, mailbox_id, sha256, internal_date, archived_at, special_use, name in found.all():
            row = ArchiveRow(row_id, mailbox_id, sha256, internal_date, archived_at)
            rows.append(row)
            if not_for_inbox(special_use, name):
                set_aside.append(row)
        known = await session.execute(
            select(ConversationMessage.mailbox_id, ConversationMessage.sha256).where(
                # both columns: the unique index (mailbox_id, sha256) answers it
                ConversationMessage.mailbox_id.in_({row.mailbox_id for row in rows}),
                ConversationMessage.sha256.in_({row.sha256 for row in rows}),
            )
        )
        skip = {(mailbox_id, sha) for mailbox_id, sha in known.all() if sha is not None}
        return rows, skip, {row.id for row in set_aside}


async def _commit(
    db: Database,
    state: _State,
    rows: Sequence[ArchiveRow],
    prepared: Sequence[Prepared],
    set_aside: set[int],
    team: Team,
    on_placed: OnPlaced | None,
    report: IngestReport,
) -> bool:
    outcomes: Counter[str] = Counter()
    async with db.session() as session, session.begin():
        claimed = await session.execute(
            update(IngestCursor)
            .where(IngestCursor.name == CURSOR, IngestCursor.batches == state.batches)
            .values(batches=state.batches + 1, updated_at=clock.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        lookup = BatchLookup(session)
        await lookup.load(prepared)
        placed = [await place(lookup, item, team) for item in prepared]
        await session.flush()
        for each in placed:
            outcomes[each.outcome] += 1
            if on_placed is not None:
                await on_placed(session, each)
        position, holes = holes_.advance(state.position, state.holes, (row.id for row in rows))
        await session.execute(
            update(IngestCursor).where(IngestCursor.name == CURSOR).values(position=position, holes=holes)
        )
    report.outcomes.update(outcomes)
    already = len(rows) - len(prepared) - len(set_aside)
    if already:
        report.outcomes["already"] += already
    report.cursor, report.holes = position, len(holes)
    return True


async def _pending(db: Database, state: _State) -> int:
    async with db.session() as session:
        count = await session.scalar(select(func.count()).where(Message.id > state.position))
    return int(count or 0) + holes_.pending_count(state.holes)


async def ingest(
    db: Database,
    blobs: BlobStore,
    team: Team,
    *,
    batch: int = 200,
    on_placed: OnPlaced | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Place every archived message not placed yet (see the module docstring). Returns what it did."""
    started = time.perf_counter()
    report = IngestReport()
    await _ensure_cursor(db)
    state = await _state(db)
    total = await _pending(db, state) if progress else 0
    while True:
        rows, known, set_aside = await _rows(db, state, batch)
        if not rows:
            report.cursor, report.holes = state.position, len(state.holes)
            break
        todo: list[ArchiveRow] = []
        for row in rows:  # copies of one message in a batch: the first is placed, the others are "already"
            if row.id not in set_aside and (row.mailbox_id, row.sha256) not in known:
                known.add((row.mailbox_id, row.sha256))
                todo.append(row)
        prepared = await asyncio.to_thread(prepare_many, blobs, todo, team)
        if await _commit(db, state, rows, prepared, set_aside, team, on_placed, report):
            if set_aside:
                report.outcomes["set_aside"] += len(set_aside)
            report.read += len(rows)
            report.batches += 1
            if progress is not None:
                progress(len(rows), total)
        else:
            report.lost_claims += 1
        state = await _state(db)
        if len(rows) < batch and state.position >= max(row.id for row in rows):
            report.cursor, report.holes = state.position, len(state.holes)
            break  # everything after the cursor, and every hole that showed up, is done
    report.seconds = time.perf_counter() - started
    return report
