"""Which archived messages an export or a restore takes: by mailbox, folder, date and Message-ID.

A full-text ``--query`` is answered by the search index (:func:`mailwarden.search.service.matching_rows`)
and combined with the other filters, which the archive's own columns answer. Dates compare with the
INTERNALDATE (when the server received the message), as IMAP's SINCE and BEFORE do: the Date header is
whatever the sender's clock said.

Tombstoned copies (gone from the server) are left out unless asked for: a restore after a disaster should
bring back the mailbox as it was, not every message ever deleted from it. Purged copies (retention, decision
0010) are always left out: their content is gone on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Select, select

from mailwarden.archive.models import Folder, Message
from mailwarden.core.errors import InputError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox

__all__ = ["Item", "Selection", "normalize_message_id", "parse_day", "select_items"]


def normalize_message_id(value: str) -> str:
    """``<a@b>``, `` a@b `` and ``<a@b>`` all name one message."""
    return value.strip().strip("<>").strip()


@dataclass(frozen=True)
class Selection:
    folders: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None
    message_ids: tuple[str, ...] = ()
    include_gone: bool = False
    #: a search query (the archive search's language); needs ``search_dir`` in :func:`select_items`
    query: str | None = None


@dataclass(frozen=True)
class Item:
    """One archived server copy, as an export or restore sees it."""

    row_id: int
    mailbox: str
    folder: str
    delimiter: str | None
    uidvalidity: int
    uid: int
    sha256: str
    size: int
    flags: tuple[str, ...]
    internal_date: datetime | None
    message_id: str | None
    from_addr: str | None
    gone: bool

    @property
    def folder_parts(self) -> tuple[str, ...]:
        return tuple(self.folder.split(self.delimiter)) if self.delimiter else (self.folder,)


def _query(mailbox: Mailbox, selection: Selection) -> Select[Message, Folder]:
    query: Select[Message, Folder] = (
        select(Message, Folder)
        .join(Folder, Message.folder_id == Folder.id)
        .where(Message.mailbox_id == mailbox.id, Message.purged_at.is_(None))
        .order_by(Folder.name, Message.uidvalidity, Message.uid)
    )
    if selection.folders:
        query = query.where(Folder.name.in_(selection.folders))
    if selection.since is not None:
        query = query.where(Message.internal_date >= selection.since)
    if selection.before is not None:
        query = query.where(Message.internal_date < selection.before)
    if not selection.include_gone:
        query = query.where(Message.gone_at.is_(None))
    if selection.message_ids:
        bare = {normalize_message_id(m) for m in selection.message_ids}
        query = query.where(Message.message_id.in_(bare | {f"<{m}>" for m in bare}))
    return query


async def select_items(
    db: Database, mailboxes: Sequence[Mailbox], selection: Selection, *, search_dir: Path | None = None
) -> list[Item]:
    """The chosen messages of ``mailboxes``, by mailbox, folder name, UIDVALIDITY and UID."""
    matching: set[int] | None = None
    if selection.query is not None:
        from mailwarden.search.service import matching_rows
        from mailwarden.search.store import IndexStore

        if search_dir is None:
            raise ValueError("a query needs the search index's folder")
        boxes = [box.id for box in mailboxes]
        matching = await matching_rows(db, IndexStore(search_dir), selection.query, mailbox_ids=boxes)
    items: list[Item] = []
    async with db.session() as session:
        for box in mailboxes:
            for message, folder in (await session.execute(_query(box, selection))).all():
                if matching is not None and message.id not in matching:
                    continue
                items.append(
                    Item(
                        row_id=message.id,
                        mailbox=box.name,
                        folder=folder.name,
                        delimiter=folder.delimiter,
                        uidvalidity=message.uidvalidity,
                        uid=message.uid,
                        sha256=message.sha256,
                        size=message.size,
                        flags=tuple(f for f in message.flags if f.lower() != "\\recent"),
                        internal_date=message.internal_date,
                        message_id=message.message_id,
                        from_addr=message.from_addr,
                        gone=message.gone_at is not None,
                    )
                )
    return items


def parse_day(text: str) -> datetime:
    """``2026-03-01`` (midnight UTC) or a full ISO 8601 time; anything else is the user's mistake."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError("recovery.bad_date", value=text) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
