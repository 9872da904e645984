"""What the collaboration services share: finding a conversation in the reader's scope, and taking it.

**Scope.** Every service takes ``mailbox_ids`` (None: all, for the command line run by the administrator).
A conversation outside them is *not found* — the same answer as for one that does not exist, so a user
without rights to a mailbox learns nothing of it, not even that it exists.

**Taking conversations for a change** (:func:`take`). A merge or a split moves messages between
conversations; the ingest places messages into them at the same time. Both first take the ingest cursor's
row (the ingest claims it with an UPDATE at the start of every batch, :mod:`.ingest`), so a merge and an
ingest batch never interleave: a batch that started first commits before the merge reads, and one that
starts later waits and then sees the merge (it loads the tables after its claim). Then the conversations
are locked in id order (``FOR UPDATE``), so two changes of one conversation queue instead of both reading
the same "before". On SQLite the first statement is a write, which takes the database's write lock before
anything is read (pysqlite begins a transaction only at the first write; reads before it would see a
state another writer may change before we write).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, NotFoundError
from mailwarden.inbox.models import Conversation, IngestCursor

__all__ = ["by_ident", "find", "serialise", "take"]

#: the name of the ingest's cursor row (:data:`mailwarden.inbox.ingest.CURSOR`; not imported: ingest
#: pulls in the whole archive reader)
_CURSOR = "archive"


def by_ident(ident: str | int) -> Select[Any]:
    """``SELECT`` of the conversation with this row id (a number) or uid (32 hex characters)."""
    text = str(ident).strip()
    if text.startswith("#"):
        text = text[1:]
    if text.isdigit() and len(text) <= 12:  # a longer number is no row id (and would overflow)
        return select(Conversation).where(Conversation.id == int(text))
    return select(Conversation).where(Conversation.uid == text.lower())


async def find(
    session: AsyncSession,
    ident: str | int,
    mailbox_ids: Sequence[int] | None,
    *,
    lock: bool = False,
) -> Conversation:
    """The conversation ``ident`` names, if the reader may see it; else ``NotFoundError``.

    ``lock``: for a change — :func:`serialise` first, then the row is locked until the transaction ends,
    and a conversation merged into another is refused with ``ConflictError`` naming it (a note or a tag
    added to it now would be stranded there). Taking the ingest's row first keeps one lock order for every
    writer — cursor, conversations, audit chain head — so that a note's transaction (conversation, then the
    audit head) and an ingest batch (the head taken by an earlier event of the batch, then a conversation)
    cannot deadlock on PostgreSQL."""
    if lock:
        await serialise(session)
    query = by_ident(ident)
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: Conversation | None = await session.scalar(query)
    if found is None:
        raise NotFoundError("inbox.conversation_not_found", id=str(ident).strip()[:64])
    if lock and found.merged_into_id is not None:
        raise ConflictError("inbox.collab.already_merged", id=found.id, into=found.merged_into_id)
    return found


async def _sqlite_write_lock(session: AsyncSession) -> None:
    # any write takes SQLite's one write lock, whether or not a row changes
    await session.execute(
        update(IngestCursor).where(IngestCursor.name == _CURSOR).values(position=IngestCursor.position)
    )


async def serialise(session: AsyncSession) -> None:
    """Queue behind any running ingest batch, merge, split, note or tag change (see the module
    docstring). First statement of the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        await _sqlite_write_lock(session)
        return
    from sqlalchemy.dialects.postgresql import insert

    await session.execute(
        insert(IngestCursor)
        .values(name=_CURSOR, position=0, holes=[], batches=0, updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(select(IngestCursor.name).where(IngestCursor.name == _CURSOR).with_for_update())


async def take(
    session: AsyncSession, idents: Sequence[str | int], mailbox_ids: Sequence[int] | None
) -> list[Conversation]:
    """:func:`serialise`, then each conversation of ``idents`` locked (in id order, so that two changes
    never wait on each other) and read afresh. Raises ``NotFoundError`` for one out of scope."""
    await serialise(session)
    found = [await find(session, ident, mailbox_ids) for ident in idents]
    ids = sorted({c.id for c in found})
    await session.execute(
        select(Conversation.id).where(Conversation.id.in_(ids)).order_by(Conversation.id).with_for_update()
    )
    for conversation in found:
        await session.refresh(conversation)
    return found
