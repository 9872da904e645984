"""The indexer's per-message work, in a form a worker process can run: read the blob, build the fields.

Light on purpose (no database, no tantivy at import): worker processes import it. Results are plain tuples,
pickled back to the indexing process, which makes the ``tantivy.Document`` (:func:`to_document`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from mailwarden.archive.blobstore import BlobStore
from mailwarden.core.errors import MailwardenError
from mailwarden.search.document import RowFacts, build, fields_for
from mailwarden.search.schema import TEXT_FIELDS

__all__ = ["Built", "build_many", "facts_of", "to_document"]

#: tantivy's date range (years 1677 to 2262): a Date header outside it is left out of the document
_EARLIEST = datetime(1678, 1, 1, tzinfo=UTC)
_LATEST = datetime(2261, 12, 31, tzinfo=UTC)


class Built(NamedTuple):
    row_id: int
    fields: dict[str, Any]
    problems: list[dict[str, Any]]


class Facts(NamedTuple):
    row: RowFacts
    subject: str | None
    from_addr: str | None
    from_name: str | None


def facts_of(row: Any) -> Facts:
    """From an indexer row (see ``indexer._rows``)."""
    return Facts(
        RowFacts(row.id, row.mailbox_id, row.folder_id, row.sha256, row.internal_date),
        row.subject,
        row.from_addr,
        row.from_name,
    )


def _from_row(facts: Facts) -> dict[str, Any]:
    """The fields the archive row itself knows: what is indexed when the blob cannot be read."""
    from mailwarden.mime import Address, ParsedMessage

    sender = [Address(facts.from_name or "", facts.from_addr)] if facts.from_addr else []
    parsed = ParsedMessage(size=0, subject=facts.subject or "", from_=sender)
    return fields_for(facts.row, parsed, "")


def build_many(blobs_root: str, batch: Sequence[Facts]) -> list[Built]:
    store = BlobStore(Path(blobs_root))
    out: list[Built] = []
    cache: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for facts in batch:
        row = facts.row
        known = cache.get(row.sha256)
        if known is not None:  # the same message in another folder: parsed once
            fields = {
                **known[0],
                "row_id": row.row_id,
                "mailbox_id": row.mailbox_id,
                "folder_id": row.folder_id,
            }
            if row.when is not None:
                fields["date"] = row.when
            out.append(Built(row.row_id, fields, known[1]))
            continue
        try:
            raw = store.read(row.sha256)
        except MailwardenError as exc:
            problem = {"kind": "blob_unreadable", "detail": str(exc), "part": None}
            out.append(Built(row.row_id, _from_row(facts), [problem]))
            continue
        done = build(row, raw)
        problems = [{"kind": p.kind, "detail": p.detail, "part": p.part} for p in done.problems]
        out.append(Built(row.row_id, done.fields, problems))
        cache[row.sha256] = (done.fields, problems)
    return out


def to_document(fields: dict[str, Any]) -> Any:
    """The ``tantivy.Document`` for one built message."""
    import tantivy

    doc = tantivy.Document()
    for name in ("row_id", "mailbox_id", "folder_id"):
        doc.add_unsigned(name, fields[name])
    when = fields.get("date")
    if when is not None and _EARLIEST < when < _LATEST:
        doc.add_date("date", when)
    doc.add_boolean("has_attachment", fields["has_attachment"])
    doc.add_text("sha256", fields["sha256"])
    for address in fields["from_addr"]:
        doc.add_text("from_addr", address)
    for address in fields["to_addr"]:
        doc.add_text("to_addr", address)
    for name in TEXT_FIELDS:
        for suffix in ("", "_cjk2", "_cjk3"):
            value = fields[name + suffix]
            if value:
                doc.add_text(name + suffix, value)
    doc.add_bytes("view", fields["view"])
    return doc
