"""The index side of a search, without the database: run a parsed query, collapse copies, make previews.

Shared by :func:`mailwarden.search.service.search` and ``bench/search.py``, so the benchmark times the code
users run (minus the two small database lookups: names to ids, row ids to folder names).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tantivy

from mailwarden.core.errors import StorageError
from mailwarden.search.build import Resolved, to_tantivy
from mailwarden.search.query import Query
from mailwarden.search.snippet import Span, highlight, snippet

__all__ = ["MAX_LIMIT", "Group", "Page", "Preview", "every_row", "find", "preview", "row_ids"]

#: the most hits one call returns (a page)
MAX_LIMIT = 500

#: the copies of one message (same blob) that matched: [(score, document)], best first
Group = list[tuple[float, tantivy.Document]]


@dataclass
class Page:
    #: archived copies matching (a message in two folders counts twice)
    total: int
    groups: list[Group]


@dataclass
class Preview:
    subject: str
    subject_spans: list[Span]
    from_name: str | None
    snippet: str
    snippet_spans: list[Span]


def stored(doc: tantivy.Document, name: str) -> Any:
    return doc.get_first(name)


def row_ids(group: Group) -> list[int]:
    return [int(stored(doc, "row_id")) for _, doc in group]


def find(
    index: tantivy.Index,
    query: Query,
    resolved: Resolved,
    *,
    limit: int = 20,
    offset: int = 0,
    mailbox_ids: Sequence[int] | None = None,
    newest_first: bool = False,
) -> Page:
    """Best matches first (newest first when asked, or when the query has only filters)."""
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
    groups: dict[str, Group] = {}
    for score, address in found.hits:
        doc = searcher.doc(address)
        groups.setdefault(stored(doc, "sha256"), []).append((float(score), doc))
    total = int(getattr(found, "count", 0) or 0)  # missing from tantivy's type stubs, present at run time
    return Page(total, list(groups.values())[offset : offset + limit])


def every_row(
    index: tantivy.Index, query: Query, resolved: Resolved, *, mailbox_ids: Sequence[int] | None = None
) -> set[int]:
    """The archive row ids of every match (for ``archive export|restore --query``), in no order."""
    searcher = index.searcher()
    built = to_tantivy(index.schema, query, resolved, mailbox_ids=mailbox_ids)
    try:
        total = int(getattr(searcher.search(built, 1, count=True), "count", 0) or 0)
        if total == 0:
            return set()
        found = searcher.search(built, total, count=False, order_by_field="row_id")
    except ValueError as exc:
        raise StorageError("search.failed", permanent=False, detail=str(exc)) from exc
    # ordered by the fast field, each hit's key is the row id itself: no stored document is read
    return {int(key) for key, _ in found.hits}


def preview(doc: tantivy.Document, pattern: Any) -> Preview:
    view = json.loads(bytes(stored(doc, "view") or b"{}"))
    subject = view.get("subject") or ""
    text, spans = snippet(view.get("text") or "", pattern)
    return Preview(subject, highlight(subject, pattern), view.get("from_name"), text, spans)
