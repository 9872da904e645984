"""A real tantivy index in a temporary folder, filled from raw messages by the indexer's own code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import tantivy

from mailwarden.search.build import to_tantivy
from mailwarden.search.document import RowFacts, build
from mailwarden.search.query import parse
from mailwarden.search.schema import open_index
from mailwarden.search.work import to_document


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "Hans Müller <hans@mueller-handel.de>",
    to: str = "sales@example.test",
    extra: str = "",
) -> bytes:
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(subject + body))}@x>\r\n"
    )
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" + extra
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


class Index:
    def __init__(self, path: Path) -> None:
        self.index = open_index(path, create=True)
        self.next_id = 1

    def add(
        self, *raws: bytes, mailbox_id: int = 1, folder_id: int = 1, when: datetime | None = None
    ) -> list[int]:
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        ids = []
        for raw in raws:
            facts = RowFacts(self.next_id, mailbox_id, folder_id, f"{self.next_id:064x}", when)
            writer.add_document(to_document(build(facts, raw).fields))
            ids.append(self.next_id)
            self.next_id += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return ids

    def find(
        self,
        text: str,
        resolved: dict[tuple[str, str], list[int]] | None = None,
        mailboxes: list[int] | None = None,
    ) -> set[int]:
        query = to_tantivy(self.index.schema, parse(text), resolved or {}, mailbox_ids=mailboxes)
        searcher = self.index.searcher()
        found = searcher.search(query, 100)
        return {int(searcher.doc(address).get_first("row_id")) for _, address in found.hits}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


__all__ = ["Index", "mail", "tantivy", "utc"]
