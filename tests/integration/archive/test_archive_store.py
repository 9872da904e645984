"""The archive's write path on SQLite and PostgreSQL: blobs once, rows idempotent, tombstones not deletes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailwarden.archive import service
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Blob, FlagChange, Folder, Message
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid


async def _folder(db: Database, name: str = "INBOX", uidvalidity: int = 7) -> Folder:
    async with db.session() as session:
        mailbox = Mailbox(
            uid=new_uid(), name=f"m-{new_uid()[:8]}", address="sales@example.test", username="sales",
            imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1", smtp_port=465,
            smtp_tls="implicit", credential_ref="env:X",
        )  # fmt: skip
        session.add(mailbox)
        await session.flush()
        folder = Folder(mailbox_id=mailbox.id, name=name, uidvalidity=uidvalidity)
        session.add(folder)
        await session.commit()
        return folder


def _copy(store: BlobStore, uid: int, body: bytes, flags: list[str] | None = None) -> service.ArchivedCopy:
    raw = b"Message-ID: <%d@example.test>\r\n\r\n" % uid + body
    return service.ArchivedCopy(
        uid=uid,
        blob=store.put(raw),
        flags=flags or [],
        internal_date=None,
        modseq=None,
        meta=service.MessageMeta(message_id=f"{uid}@example.test", subject="询盘"),
    )


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


async def test_a_batch_is_stored_once_however_often_it_is_written(db: Database, store: BlobStore) -> None:
    folder = await _folder(db)
    copies = [_copy(store, uid, b"same body") for uid in (1, 2)] + [_copy(store, 3, b"other")]
    assert await service.store_batch(db, store, folder, copies) == 3
    assert await service.store_batch(db, store, folder, copies) == 0  # a resumed pass writes it again
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 3
        assert await session.scalar(select(func.count()).select_from(Blob)) == 3
        subject = await session.scalar(select(Message.subject).where(Message.uid == 3))
    assert subject == "询盘"


async def test_identical_raw_messages_share_one_blob(db: Database, store: BlobStore) -> None:
    inbox, sent = await _folder(db, "INBOX"), await _folder(db, "Sent")
    raw = b"Message-ID: <x@example.test>\r\n\r\nquote attached\r\n"
    meta = service.MessageMeta(message_id="x@example.test")
    for folder in (inbox, sent):
        copy = service.ArchivedCopy(1, store.put(raw), [], None, None, meta)
        await service.store_batch(db, store, folder, [copy])
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Blob)) == 1
        assert await session.scalar(select(func.count()).select_from(Message)) == 2


async def test_tombstones_keep_the_row_and_say_why(db: Database, store: BlobStore) -> None:
    folder = await _folder(db)
    await service.store_batch(db, store, folder, [_copy(store, uid, b"x%d" % uid) for uid in (1, 2, 3)])
    async with db.session() as session:
        live = await service.live_copies(session, folder)
    assert sorted(live) == [1, 2, 3]
    assert await service.tombstone(db, [live[2].row_id], "expunged") == 1
    assert await service.tombstone(db, [live[2].row_id], "expunged") == 0  # the first time counts
    async with db.session() as session:
        assert sorted(await service.live_copies(session, folder)) == [1, 3]
        gone = await session.scalar(select(Message).where(Message.uid == 2))
    assert gone is not None
    assert gone.gone_reason == "expunged"
    assert gone.gone_at is not None
    assert store.read(gone.sha256).startswith(b"Message-ID: <2@")


async def test_flag_changes_are_kept_as_history(db: Database, store: BlobStore) -> None:
    folder = await _folder(db)
    await service.store_batch(db, store, folder, [_copy(store, 1, b"x", ["\\Recent"])])
    async with db.session() as session:
        [state] = (await service.live_copies(session, folder)).values()
    await service.record_flag_changes(db, [(state, ["\\Seen", "$Forwarded"], 42)])
    async with db.session() as session:
        row = await session.get(Message, state.row_id)
        change = await session.scalar(select(FlagChange))
    assert row is not None
    assert row.flags == ["$Forwarded", "\\Seen"]
    assert row.modseq == 42
    assert change is not None
    assert (change.before, change.after) == (["\\Recent"], ["$Forwarded", "\\Seen"])
