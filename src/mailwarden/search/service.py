"""``search()``: what the CLI's ``archive search`` and the web UI call.

The query is parsed (:mod:`.query`), folder and mailbox names are resolved to ids from the database, the
index is searched, copies of one message (same blob: INBOX and a project folder, say) are shown as one hit
listing where it is, and each hit gets a snippet with the searched words marked.

``mailbox_ids`` limits a search to the mailboxes a reader may see: the limit is part of the index query, so
nothing of another mailbox is counted, ranked or shown. Each search is an ``archive.search`` event in the
audit chain (who, the query, how many it found); a purged message is never shown, even before the index has
dropped it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select

from mailwarden.archive.models import Folder, Message
from mailwarden.audit.service import record
from mailwarden.core.errors import NotFoundError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox
from mailwarden.search.find import Group, every_row, find, preview, row_ids, stored
from mailwarden.search.query import Query, parse
from mailwarden.search.snippet import Span, pattern_for
from mailwarden.search.store import IndexStore

__all__ = ["Hit", "Results", "matching_rows", "search"]

#: special-use names folder: accepts (RFC 6154)
_SPECIAL = {"sent", "drafts", "archive", "junk", "trash", "all", "flagged", "important"}


@dataclass
class Hit:
    row_id: int
    score: float
    mailbox: str
    folder: str
    subject: str
    subject_spans: list[Span]
    from_addr: str | None
    from_name: str | None
    date: datetime | None
    has_attachment: bool
    snippet: str
    snippet_spans: list[Span]
    #: the other archived copies of the same message: [mailbox, folder]
    also_in: list[list[str]] = field(default_factory=list)
    #: deleted on the server since (the archive keeps it)
    gone: bool = False


@dataclass
class Results:
    query: str
    #: archived copies matching (a message in two folders counts twice)
    total: int
    hits: list[Hit]
    took_ms: float


async def _resolve(db: Database, query: Query) -> dict[tuple[str, str], list[int]]:
    resolved: dict[tuple[str, str], list[int]] = {}
    async with db.session() as session:
        for name in query.names("mailbox"):
            found = await session.scalars(select(Mailbox.id).where(func.lower(Mailbox.name) == name.lower()))
            resolved[("mailbox", name)] = list(found)
            if not resolved[("mailbox", name)]:
                raise NotFoundError("search.unknown_mailbox", name=name)
        for name in query.names("folder"):
            wanted = name.lower()
            condition = (
                func.lower(Folder.name).like(wanted[:-1].replace("%", r"\%") + "%", escape="\\")
                if wanted.endswith("*")
                else func.lower(Folder.name) == wanted
            )
            if wanted in _SPECIAL:
                condition = or_(condition, func.lower(Folder.special_use) == "\\" + wanted)
            resolved[("folder", name)] = list(await session.scalars(select(Folder.id).where(condition)))
            if not resolved[("folder", name)]:
                raise NotFoundError("search.unknown_folder", name=name)
    return resolved


async def _places(db: Database, row_ids: Sequence[int]) -> dict[int, tuple[str, str, bool]]:
    """row id -> (mailbox name, folder name, gone) as the database says now."""
    async with db.session() as session:
        rows = await session.execute(
            select(Message.id, Mailbox.name, Folder.name, Message.gone_at)
            .join(Folder, Message.folder_id == Folder.id)
            .join(Mailbox, Message.mailbox_id == Mailbox.id)
            .where(Message.id.in_(row_ids), Message.purged_at.is_(None))
        )
        return {row_id: (box, folder, gone is not None) for row_id, box, folder, gone in rows.all()}


async def matching_rows(
    db: Database, store: IndexStore, text: str, *, mailbox_ids: Sequence[int] | None = None
) -> set[int]:
    """Every archive row id the query matches: what ``archive export|restore --query`` take."""
    query = parse(text)
    resolved = await _resolve(db, query)
    _, index, _ = store.open()
    return every_row(index, query, resolved, mailbox_ids=mailbox_ids)


async def search(
    db: Database,
    store: IndexStore,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    mailbox_ids: Sequence[int] | None = None,
    newest_first: bool = False,
    actor: str,
) -> Results:
    """Run ``text`` against the current index. Raises ``InputError`` for a malformed query,
    ``NotFoundError`` for an unknown folder or mailbox or when no index was built yet."""
    started = time.perf_counter()
    query = parse(text)
    resolved = await _resolve(db, query)
    _, index, _ = store.open()
    page = find(
        index, query, resolved, limit=limit, offset=offset, mailbox_ids=mailbox_ids, newest_first=newest_first
    )
    places = await _places(db, [row_id for group in page.groups for row_id in row_ids(group)])
    pattern = pattern_for(query.needles())
    hits = [hit for hit in (_hit(group, places, pattern) for group in page.groups) if hit is not None]
    async with db.session() as session, session.begin():
        detail = {"total": page.total, "shown": [hit.row_id for hit in hits], "offset": offset}
        if mailbox_ids is not None:
            detail["mailbox_ids"] = sorted(mailbox_ids)
        await record(session, actor=actor, action="archive.search", target=text, detail=detail)
    return Results(text, page.total, hits, (time.perf_counter() - started) * 1000)


def _hit(group: Group, places: dict[int, tuple[str, str, bool]], pattern: Any) -> Hit | None:
    score, doc = group[0]
    row_id = int(stored(doc, "row_id"))
    place = places.get(row_id)
    if place is None:  # the row is no longer readable (a purge ran after this index commit)
        return None
    shown = preview(doc, pattern)
    when = stored(doc, "date")
    return Hit(
        row_id=row_id,
        score=score,
        mailbox=place[0],
        folder=place[1],
        subject=shown.subject,
        subject_spans=shown.subject_spans,
        from_addr=stored(doc, "from_addr"),
        from_name=shown.from_name,
        date=when.replace(tzinfo=UTC) if isinstance(when, datetime) and when.tzinfo is None else when,
        has_attachment=bool(stored(doc, "has_attachment")),
        snippet=shown.snippet,
        snippet_spans=shown.snippet_spans,
        also_in=[list(places[other][:2]) for other in row_ids(group[1:]) if other in places],
        gone=place[2],
    )
