"""Archive seals on SQLite and PostgreSQL: what they cover, what breaks them, sealing while rows arrive."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

from sqlalchemy import select, text

from mailwarden.archive.models import Blob, Folder, Message, Seal
from mailwarden.archive.purged import purged_row_ids
from mailwarden.archive.seals import seal, verify_seals
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid


async def folder(db: Database) -> Folder:
    async with db.session() as session:
        box = Mailbox(
            uid=new_uid(), name="m", address="sales@example.test", username="sales",
            imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1", smtp_port=465,
            smtp_tls="implicit", credential_ref="env:X",
        )  # fmt: skip
        session.add(box)
        await session.flush()
        row = Folder(mailbox_id=box.id, name="INBOX", uidvalidity=7)
        session.add(row)
        await session.commit()
        return row


async def archive(db: Database, where: Folder, uids: range) -> None:
    """Rows as a sync commits them: a blob row and a message row each, in one transaction."""
    async with db.session() as session, session.begin():
        for uid in uids:
            sha = hashlib.sha256(str(uid).encode()).hexdigest()
            session.add(Blob(sha256=sha, size=uid, stored_size=uid))
            await session.flush()
            session.add(
                Message(
                    mailbox_id=where.mailbox_id, folder_id=where.id, uidvalidity=7, uid=uid, sha256=sha,
                    size=uid, internal_date=datetime(2024, 3, 1, 8, 0, 0, uid, tzinfo=UTC),
                )
            )  # fmt: skip


async def test_seals_cover_new_rows_in_chunks_and_verify(db: Database) -> None:
    where = await folder(db)
    assert await seal(db) == 0  # nothing to seal
    await archive(db, where, range(1, 8))
    assert await seal(db, max_rows=3) == 3  # 3 + 3 + 1
    await archive(db, where, range(8, 10))
    report = await verify_seals(db)
    assert (report.ok, report.seals, report.rows, report.unsealed) == (True, 3, 7, 2)
    assert await seal(db) == 1
    assert (await verify_seals(db)).as_dict()["rows"] == 9


async def test_flags_tombstones_and_purge_marks_leave_the_seals_valid(db: Database) -> None:
    where = await folder(db)
    await archive(db, where, range(1, 4))
    await seal(db)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE archive_messages SET flags = '[\"\\\\Seen\"]', gone_at = archived_at,"
                " gone_reason = 'expunged', purge_batch_id = 1, purged_at = archived_at"
            )
        )
    assert (await verify_seals(db)).ok


async def test_a_changed_date_or_a_deleted_seal_is_named(db: Database) -> None:
    where = await folder(db)
    await archive(db, where, range(1, 7))
    await seal(db, max_rows=2)
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE archive_messages SET internal_date = archived_at WHERE uid = 4"))
    broken = (await verify_seals(db)).broken
    assert broken is not None and (broken.kind, broken.seal) == ("modified", 2)
    assert "row 4 was changed (INBOX UID 4)" in broken.detail
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM archive_seals WHERE seq = 1"))
    broken = (await verify_seals(db)).broken
    assert broken is not None and (broken.kind, broken.seal) == ("missing", 1)


async def test_sealing_while_rows_arrive_seals_every_row_once(db: Database) -> None:
    """GIVEN four writers committing rows and three sealers running at the same time
    THEN the seals cover every row exactly once, in order, and verify (on PostgreSQL the sealer waits for
    inserts in flight, whose ids were handed out before they commit)."""
    where = await folder(db)

    async def writer(start: int) -> None:
        for batch in range(5):
            first = start + batch * 10
            await archive(db, where, range(first, first + 10))
            await asyncio.sleep(0)

    async def sealer() -> None:
        for _ in range(6):
            await seal(db, max_rows=7)
            await asyncio.sleep(0)

    await asyncio.gather(*(writer(1000 * w) for w in range(1, 5)), *(sealer() for _ in range(3)))
    await seal(db)
    report = await verify_seals(db)
    assert report.ok and report.rows == 200 and report.unsealed == 0
    async with db.session() as session:
        seals = (await session.scalars(select(Seal).order_by(Seal.seq))).all()
    assert [s.prev_last_id for s in seals[1:]] == [s.last_id for s in seals[:-1]]


async def test_purged_row_ids_name_what_a_derived_index_must_drop(db: Database) -> None:
    where = await folder(db)
    await archive(db, where, range(1, 4))
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE archive_messages SET purged_at = archived_at WHERE uid >= 2"))
    async with db.session() as session:
        ids = await purged_row_ids(session)
        assert len(ids) == 2 and ids == sorted(ids)
        assert await purged_row_ids(session, datetime(2999, 1, 1, tzinfo=UTC)) == []
