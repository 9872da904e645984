"""Retention, holds and purges through the service functions, on SQLite and PostgreSQL.

The CLI tests (tests/integration/cli/test_archive_retention.py) run against a synced lab archive on SQLite;
these check the same queries — the date fallback, JSON addresses, NOT IN, the batch claims — on both engines.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Blob, Folder, Message
from mailwarden.audit.models import AuditEvent
from mailwarden.audit.service import verify_chain
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid
from mailwarden.retention.models import PurgeBatch
from mailwarden.retention.plan import make_plan
from mailwarden.retention.policies import HoldSpec, add_hold, release_hold, set_policy
from mailwarden.retention.purge import cancel, run_due, schedule

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OLD = datetime(2020, 1, 1, tzinfo=UTC)


async def mailbox(db: Database) -> Mailbox:
    async with db.session() as session:
        box = Mailbox(
            uid=new_uid(), name="sales", address="sales@example.test", username="sales",
            imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1", smtp_port=465,
            smtp_tls="implicit", credential_ref="env:X",
        )  # fmt: skip
        session.add(box)
        await session.commit()
        return box


async def message(
    db: Database, store: BlobStore, box: Mailbox, folder: str, uid: int, body: bytes, **fields: object
) -> int:
    ref = store.put(body)
    async with db.session() as session, session.begin():
        row = await session.scalar(select(Folder).where(Folder.mailbox_id == box.id, Folder.name == folder))
        if row is None:
            row = Folder(mailbox_id=box.id, name=folder, uidvalidity=1)
            session.add(row)
            await session.flush()
        if await session.get(Blob, ref.sha256) is None:
            session.add(Blob(sha256=ref.sha256, size=ref.size, stored_size=ref.stored_size))
            await session.flush()
        copy = Message(
            mailbox_id=box.id, folder_id=row.id, uidvalidity=1, uid=uid, sha256=ref.sha256, size=ref.size,
            **fields,
        )  # fmt: skip
        session.add(copy)
        await session.flush()
        return copy.id


async def test_plan_schedule_cancel_run_on_both_engines(db: Database, tmp_path: Path) -> None:
    """GIVEN old mail in INBOX (one dated only by its Date header, one only by when it was archived, one to
    a held address, one sharing its bytes with a kept Legal copy) and a recent one"""
    store = BlobStore(tmp_path / "blobs")
    box = await mailbox(db)
    shared = b"Subject: contract\r\n\r\nsigned\r\n"
    ids = {
        "internal": await message(db, store, box, "INBOX", 1, b"a", internal_date=OLD),
        "date_only": await message(db, store, box, "INBOX", 2, b"b", date=OLD - timedelta(days=200)),
        "archived_only": await message(db, store, box, "INBOX", 3, b"c", archived_at=OLD),
        "held": await message(
            db, store, box, "INBOX", 4, b"d", internal_date=OLD, to=[["Li", "Claims@Buyer.example"]]
        ),
        "shared": await message(db, store, box, "INBOX", 5, shared, internal_date=OLD),
        "recent": await message(db, store, box, "INBOX", 6, b"e", internal_date=NOW - timedelta(days=3)),
        "legal": await message(db, store, box, "Legal", 1, shared, internal_date=OLD),
    }
    with clock.use(clock.FrozenClock(NOW)):
        await set_policy(db, "t", box, None, 1, "years")
        await set_policy(db, "t", box, "Legal", 10, "years")
        await add_hold(db, "t", box, HoldSpec("claims", "dispute", address="claims@buyer.example"))
        async with db.session() as session:
            plan = await make_plan(session, [box], NOW)
        assert sorted(c.row_id for c in plan.due) == sorted(
            ids[k] for k in ("internal", "date_only", "archived_only", "shared")
        )
        assert [(line.folder, line.due, line.held) for line in plan.lines] == [("INBOX", 4, 1)]

        first = await schedule(db, "t", [box], grace_days=30)
        assert first is not None and first.messages == 4
        assert await run_due(db, store, "t") == []  # in its grace period
        assert (await cancel(db, "t", first.id)).state == "cancelled"

        batch = await schedule(db, "t", [box], grace_days=0)
        assert batch is not None and batch.messages == 4
        # WHEN a hold on the first day of 2020 is added after the schedule, and the old one released
        await add_hold(db, "t", box, HoldSpec("late", "audit", since=OLD, before=OLD + timedelta(days=1)))
        await release_hold(db, "t", "claims")
        (result,) = await run_due(db, store, "t")
    # THEN only the message dated by its Date header, in 2019, is purged; the rest are kept and unmarked
    assert (result.purged, result.kept, result.blobs_removed) == (1, 3, 1)
    async with db.session() as session:
        marks = dict((await session.execute(select(Message.id, Message.purged_at))).all())
        assert [k for k, v in ids.items() if marks[v] is not None] == ["date_only"]
        assert (
            await session.scalar(select(Message.id).where(Message.purge_batch_id.is_not(None)))
            == ids["date_only"]
        )
        chain = await verify_chain(session)
    assert chain.ok and chain.events == 9  # 2 policies, 2 holds, 2 schedules, a cancel, a release, a run


async def test_a_run_purges_content_and_keeps_blobs_still_needed(db: Database, tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    box = await mailbox(db)
    shared = b"Subject: contract\r\n\r\nsigned\r\n"
    only = hashlib.sha256(b"only here").hexdigest()
    gone = await message(db, store, box, "INBOX", 1, b"only here", internal_date=OLD)
    copy = await message(db, store, box, "INBOX", 2, shared, internal_date=OLD)
    await message(db, store, box, "Legal", 1, shared, internal_date=OLD)
    with clock.use(clock.FrozenClock(NOW)):
        await set_policy(db, "t", box, None, 18, "months")
        await set_policy(db, "t", box, "Legal", 7, "years")
        batch = await schedule(db, "t", [box], grace_days=0)
        assert batch is not None
        (result,) = await run_due(db, store, "t")
    assert (result.purged, result.kept, result.blobs_removed) == (2, 0, 1)
    async with db.session() as session:
        rows = dict((await session.execute(select(Message.id, Message.purged_at))).all())
        assert rows[gone] == rows[copy] == NOW
        assert (await verify_chain(session)).ok
    assert not store.path_for(only).exists()
    assert store.verify(hashlib.sha256(shared).hexdigest())  # the Legal copy still needs it


async def test_two_runs_at_once_execute_a_batch_once(db: Database, tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    box = await mailbox(db)
    for uid in range(1, 6):
        await message(db, store, box, "INBOX", uid, f"m{uid}".encode(), internal_date=OLD)
    with clock.use(clock.FrozenClock(NOW)):
        await set_policy(db, "t", box, None, 1, "years")
        batch = await schedule(db, "t", [box], grace_days=0)
        assert batch is not None
        first, second = await asyncio.gather(run_due(db, store, "a"), run_due(db, store, "b"))
    assert sorted(len(r) for r in (first, second)) == [0, 1]
    (result,) = first or second
    assert result.purged == 5
    async with db.session() as session:
        # the file deletions are idempotent: both runs may share them, and the batch counts them all
        assert (await session.get(PurgeBatch, batch.id)).blobs_removed == 5  # type: ignore[union-attr]
        chain = await verify_chain(session)
        executed = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "archive.purge.execute")
        )
    assert chain.ok and executed == 1
    assert not any(store.root.glob("??/*.zst"))
