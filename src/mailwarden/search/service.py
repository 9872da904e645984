"""``search()``: what the CLI's ``archive search`` and the web UI call.

The query is parsed (:mod:`.query`), folder and mailbox names are resolved to ids from the database, the
index is searched, copies of one message (same blob: INBOX and a project folder, say) are shown as one hit
listing where it is, and each hit gets a snippet with the searched words marked.

``mailbox_ids`` limits a search to the mailboxes a reader may see: the limit is part of the index query, so
nothing of another mailbox is counted, ranked or shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import tantivy
from sqlalchemy import func, or_, select

from mailwarden.archive.models import Folder, Message
from mailwarden.core.errors import NotFoundError, StorageError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox
from mailwarden.search.build import to_tantivy
from mailwarden.search.query import Query, parse
from mailwarden.search.snippet import Span, highlight, pattern_for, snippet
from mailwarden.search.store import IndexStore

__all__ = ["Hit", "Results", "search"]

#: the most hits one call returns (a page)
MAX_LIMIT = 500
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


def _stored(doc: tantivy.Document, name: str) -> Any:
    return doc.get_first(name)


async def _places(db: Database, row_ids: Sequence[int]) -> dict[int, tuple[str, str, bool]]:
    """row id -> (mailbox name, folder name, gone) as the database says now."""
    async with db.session() as session:
        rows = await session.execute(
            select(Message.id, Mailbox.name, Folder.name, Message.gone_at)
            .join(Folder, Message.folder_id == Folder.id)
            .join(Mailbox, Message.mailbox_id == Mailbox.id)
            .where(Message.id.in_(row_ids))
        )
        return {row_id: (box, folder, gone is not None) for row_id, box, folder, gone in rows.all()}


async def search(
    db: Database,
    store: IndexStore,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    mailbox_ids: Sequence[int] | None = None,
    newest_first: bool = False,
) -> Results:
    """Run ``text`` against the current index. Raises ``InputError`` for a malformed query,
    ``NotFoundError`` for an unknown folder or mailbox or when no index was built yet."""
    started = time.perf_counter()
    query = parse(text)
    resolved = await _resolve(db, query)
    _, index, _ = store.open()
    searcher = index.searcher()
    built = to_tantivy(index.schema, query, resolved, mailbox_ids=mailbox_ids)
    limit = max(1, min(limit, MAX_LIMIT))
    # copies collapse into one hit: ask for more than a page, then cut
    wanted = min((offset + limit) * 3, 3 * MAX_LIMIT)
    by_date = newest_first or not query.has_text
    try:
        found = searcher.search(built, wanted, count=True, order_by_field="date" if by_date else None)
    except ValueError as exc:
        raise StorageError("search.failed", permanent=False, detail=str(exc)) from exc
    groups: dict[str, list[tuple[float, tantivy.Document]]] = {}
    for score, address in found.hits:
        doc = searcher.doc(address)
        groups.setdefault(_stored(doc, "sha256"), []).append((float(score), doc))
    page = list(groups.values())[offset : offset + limit]
    places = await _places(db, [row_id for group in page for row_id in _row_ids(group)])
    pattern = pattern_for(query.needles())
    hits = [hit for hit in (_hit(group, places, pattern) for group in page) if hit is not None]
    total = int(getattr(found, "count", 0) or 0)  # missing from tantivy's type stubs, present at run time
    return Results(text, total, hits, (time.perf_counter() - started) * 1000)


def _row_ids(group: list[tuple[float, tantivy.Document]]) -> list[int]:
    return [int(_stored(doc, "row_id")) for _, doc in group]


def _hit(
    group: list[tuple[float, tantivy.Document]], places: dict[int, tuple[str, str, bool]], pattern: Any
) -> Hit | None:
    score, doc = group[0]
    row_id = int(_stored(doc, "row_id"))
    place = places.get(row_id)
    if place is None:  # the row is no longer readable (a purge ran after this index commit)
        return None
    view = json.loads(bytes(_stored(doc, "view") or b"{}"))
    subject = view.get("subject") or ""
    text, spans = snippet(view.get("text") or "", pattern)
    when = _stored(doc, "date")
    return Hit(
        row_id=row_id,
        score=score,
        mailbox=place[0],
        folder=place[1],
        subject=subject,
        subject_spans=highlight(subject, pattern),
        from_addr=_stored(doc, "from_addr"),
        from_name=view.get("from_name"),
        date=when.replace(tzinfo=UTC) if isinstance(when, datetime) and when.tzinfo is None else when,
        has_attachment=bool(_stored(doc, "has_attachment")),
        snippet=text,
        snippet_spans=spans,
        also_in=[list(places[other][:2]) for other in _row_ids(group[1:]) if other in places],
        gone=place[2],
    )
