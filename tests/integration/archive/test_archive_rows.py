"""The fast SQLite insert stores exactly what SQLAlchemy's own insert stores, value for value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from mailwarden.archive.models import Blob, Folder, Message
from mailwarden.archive.rows import insert_rows
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid

BEIJING = timezone(timedelta(hours=8))


async def _folder(db: Database) -> Folder:
    async with db.session() as session:
        mailbox = Mailbox(
            uid=new_uid(), name="m", address="sales@example.test", username="sales",
            imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1", smtp_port=465,
            smtp_tls="implicit", credential_ref="env:X",
        )  # fmt: skip
        session.add(mailbox)
        await session.flush()
        folder = Folder(mailbox_id=mailbox.id, name="INBOX", uidvalidity=7)
        session.add(folder)
        await session.commit()
        return folder


def _rows(folder: Folder, uid: int, sha: str) -> dict[str, Any]:
    return {
        "mailbox_id": folder.mailbox_id,
        "folder_id": folder.id,
        "uidvalidity": folder.uidvalidity,
        "uid": uid,
        "sha256": sha,
        "size": 2**40,  # a BigInteger beyond 32 bits
        "flags": ["\\Seen", "$Forwarded"],
        "internal_date": datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=BEIJING),  # not UTC: converted
        "modseq": None,
        "message_id": "<a@b>",
        "in_reply_to": None,
        "references": ["<x@y>", "<z@w>"],
        "subject": '询价 \u00e9 "quoted" \\ back',
        "from_addr": "buyer@example.test",
        "from_name": "张三",
        "to": [["李四", "li@example.test"]],
        "cc": [],
        "reply_to": [],
        "date": datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a three-digit year, zero microseconds
        "has_attachments": True,
        "attachments": [
            {"filename": "报价单.pdf", "content_type": "application/pdf", "size": 7, "part": "2"}
        ],
        "defects": [{"kind": "x", "detail": None}],
        "archived_at": datetime(2026, 11, 27, 0, 0, tzinfo=UTC),
    }


async def _stored(db: Database, table: str, key: str, value: Any) -> dict[str, Any]:
    async with db.session() as session:
        result = await session.execute(text(f"SELECT * FROM {table} WHERE {key} = :v"), {"v": value})  # noqa: S608
        return dict(result.mappings().one())


async def test_both_paths_store_the_same_values(db: Database) -> None:
    folder = await _folder(db)
    now = datetime(2026, 11, 27, 9, 30, tzinfo=BEIJING)
    ours, theirs = "a" * 64, "b" * 64
    blob = {"size": 1, "stored_size": 1, "created_at": now}
    async with db.session() as session, session.begin():
        await insert_rows(session, db, Blob, [blob | {"sha256": ours}], ["sha256"])
        await session.execute(db.insert(Blob.__table__), [blob | {"sha256": theirs}])
        await insert_rows(session, db, Message, [_rows(folder, 1, ours)], ["folder_id", "uidvalidity", "uid"])
        await session.execute(db.insert(Message.__table__), [_rows(folder, 2, theirs)])
    fast, core = (
        await _stored(db, "archive_messages", "uid", 1),
        await _stored(db, "archive_messages", "uid", 2),
    )
    for column in ("id", "uid", "sha256"):
        del fast[column], core[column]
    assert fast == core
    assert fast["subject"] == '询价 \u00e9 "quoted" \\ back'
    blob_fast = await _stored(db, "archive_blobs", "sha256", ours)
    blob_core = await _stored(db, "archive_blobs", "sha256", theirs)
    assert blob_fast["created_at"] == blob_core["created_at"]


async def test_conflicting_rows_are_skipped_not_replaced(db: Database) -> None:
    folder = await _folder(db)
    async with db.session() as session, session.begin():
        blob = {"sha256": "c" * 64, "size": 1, "stored_size": 1, "created_at": datetime.now(UTC)}
        await insert_rows(session, db, Blob, [blob, blob], ["sha256"])
        first = _rows(folder, 5, "c" * 64)
        second = first | {"subject": "a different subject"}
        third = first | {"uid": 6}
        inserted = await insert_rows(
            session, db, Message, [first, second, third], ["folder_id", "uidvalidity", "uid"]
        )
    assert inserted == (2 if db.is_sqlite else None)  # SQLite counts what it inserted; else not known
    stored = await _stored(db, "archive_messages", "uid", 5)
    assert stored["subject"] == first["subject"]


async def test_a_naive_datetime_is_refused(db: Database) -> None:
    folder = await _folder(db)
    row = _rows(folder, 9, "d" * 64) | {"archived_at": datetime(2026, 1, 1)}
    async with db.session() as session, session.begin():
        blob = {"sha256": "d" * 64, "size": 1, "stored_size": 1, "created_at": datetime.now(UTC)}
        await insert_rows(session, db, Blob, [blob], ["sha256"])
        with pytest.raises((ValueError, StatementError), match="naive datetime"):
            await insert_rows(session, db, Message, [row], ["folder_id", "uidvalidity", "uid"])
