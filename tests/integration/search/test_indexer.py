"""The indexer on SQLite and PostgreSQL: a rebuild through worker processes, catching up, holes, replacing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.archive import service
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Blob, Folder, Message
from mailwarden.audit.models import AuditEvent
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid
from mailwarden.search import indexer
from mailwarden.search.service import matching_rows, search
from mailwarden.search.store import IndexStore


async def _folder(db: Database, name: str, mailbox: Mailbox | None = None) -> Folder:
    async with db.session() as session:
        if mailbox is None:
            mailbox = Mailbox(
                uid=new_uid(), name=f"m-{new_uid()[:8]}", address="sales@example.test", username="sales",
                imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1",
                smtp_port=465, smtp_tls="implicit", credential_ref="env:X",
            )  # fmt: skip
            session.add(mailbox)
            await session.flush()
        folder = Folder(mailbox_id=mailbox.id, name=name, uidvalidity=7)
        session.add(folder)
        await session.commit()
        return folder


def _raw(n: int, subject: str) -> bytes:
    return (
        f"From: Buyer {n} <b{n}@buyer.example>\r\nSubject: {subject}\r\nMessage-ID: <{n}@x>\r\n\r\n"
        f"Message number {n}. 请报价。\r\n"
    ).encode()


def _copy(store: BlobStore, uid: int, raw: bytes) -> service.ArchivedCopy:
    return service.ArchivedCopy(
        uid, store.put(raw), [], None, None, service.MessageMeta(message_id=f"{uid}@x")
    )


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.fixture
def index(tmp_path: Path) -> IndexStore:
    return IndexStore(tmp_path / "search")


async def test_a_rebuild_through_worker_processes_then_catching_up(
    db: Database, blobs: BlobStore, index: IndexStore
) -> None:
    """GIVEN 450 messages (enough for the worker pool) in INBOX, the same 450 again in Archive."""
    inbox = await _folder(db, "INBOX")
    raws = [_raw(n, "询盘 inquiry" if n % 50 == 0 else "hello") for n in range(450)]
    await service.store_batch(db, blobs, inbox, [_copy(blobs, n + 1, raw) for n, raw in enumerate(raws)])
    async with db.session() as session:
        box = await session.get(Mailbox, inbox.mailbox_id)
    archive = await _folder(db, "Archive", box)
    await service.store_batch(db, blobs, archive, [_copy(blobs, n + 1, raw) for n, raw in enumerate(raws)])
    assert indexer.POOL_THRESHOLD <= 900 <= indexer.BATCH

    report = await indexer.rebuild(db, blobs, index)
    assert (report.indexed, report.problems, report.rebuilt) == (900, 0, True)
    found = await search(db, index, "询盘", limit=100, actor="test")
    assert (found.total, len(found.hits)) == (18, 9)  # nine messages, each in two folders: one hit each
    assert all(hit.also_in for hit in found.hits)
    assert len(await matching_rows(db, index, "询盘 folder:Archive")) == 9

    later = await _folder(db, "Sent", box)
    await service.store_batch(db, blobs, later, [_copy(blobs, 1, _raw(999, "信用证 draft"))])
    assert (await indexer.catch_up(db, blobs, index)).indexed == 1
    assert (await indexer.catch_up(db, blobs, index)).indexed == 0
    assert [hit.folder for hit in (await search(db, index, "信用证", actor="test")).hits] == ["Sent"]


async def test_ids_committed_out_of_order_are_not_skipped(
    db: Database, blobs: BlobStore, index: IndexStore
) -> None:
    """PostgreSQL can make row 101 visible before row 100: the cursor passes 100, the hole brings it back."""
    folder = await _folder(db, "INBOX")
    await service.store_batch(db, blobs, folder, [_copy(blobs, 1, _raw(1, "first"))])
    await indexer.rebuild(db, blobs, index)

    async def add(row_id: int, n: int, subject: str) -> None:
        raw = _raw(n, subject)
        ref = blobs.put(raw)
        async with db.session() as session:
            if await session.get(Blob, ref.sha256) is None:
                session.add(Blob(sha256=ref.sha256, size=ref.size, stored_size=ref.stored_size))
            session.add(
                Message(
                    id=row_id,
                    mailbox_id=folder.mailbox_id,
                    folder_id=folder.id,
                    uidvalidity=7,
                    uid=n,
                    sha256=ref.sha256,
                    size=ref.size,
                )
            )
            await session.commit()

    await add(100, 101, "late commit")
    assert (await indexer.catch_up(db, blobs, index)).indexed == 1
    state = index.read_state(index.current())  # type: ignore[arg-type]
    assert state.cursor == 100 and state.holes[0][:2] == [2, 99]
    await add(50, 50, "finally visible")
    assert (await indexer.catch_up(db, blobs, index)).indexed == 1
    assert (await search(db, index, "finally", actor="test")).total == 1
    state = index.read_state(index.current())  # type: ignore[arg-type]
    assert [hole[:2] for hole in state.holes] == [[2, 49], [51, 99]]


async def test_purged_messages_leave_the_index_and_are_never_shown(
    db: Database, blobs: BlobStore, index: IndexStore
) -> None:
    folder = await _folder(db, "INBOX")
    await service.store_batch(db, blobs, folder, [_copy(blobs, n, _raw(n, "报价 quote")) for n in (1, 2)])
    await indexer.rebuild(db, blobs, index)
    async with db.session() as session:
        first = await session.scalar(select(Message).where(Message.uid == 1))
        assert first is not None
        first.purged_at = clock.now()  # what archive purge run does (the blob goes too)
        await session.commit()
    shown = await search(db, index, "报价", actor="test")
    assert shown.total == 2 and [hit.row_id for hit in shown.hits] == [2]  # hidden before the index knows
    await indexer.catch_up(db, blobs, index)
    shown = await search(db, index, "报价", actor="test")
    assert shown.total == 1 and [hit.row_id for hit in shown.hits] == [2]
    rebuilt = await indexer.rebuild(db, blobs, index)
    assert rebuilt.indexed == 1 and rebuilt.problems == 0


async def test_each_search_is_an_audit_event(db: Database, blobs: BlobStore, index: IndexStore) -> None:
    folder = await _folder(db, "INBOX")
    await service.store_batch(db, blobs, folder, [_copy(blobs, 1, _raw(1, "询盘"))])
    await indexer.rebuild(db, blobs, index)
    await search(db, index, "询盘 OR nothing", actor="cli:alice@host")
    async with db.session() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.search"))
    assert event is not None
    assert (event.actor, event.target, event.detail["total"]) == ("cli:alice@host", "询盘 OR nothing", 1)
