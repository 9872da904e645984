"""The timeline: each event is a row and an audit event of the ``inbox`` chain, in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwarden.audit.service import verify_chain
from mailwarden.core.errors import InputError
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.inbox import events
from mailwarden.inbox.models import Conversation
from mailwarden.mailboxes.models import Mailbox


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    await upgrade(database)
    return database


async def _conversation(db: Database) -> int:
    async with db.session() as session, session.begin():
        mailbox = Mailbox(
            name="sales", address="sales@example.test", username="sales@example.test",
            imap_host="127.0.0.1", imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1",
            smtp_port=465, smtp_tls="implicit", credential_ref="env:X",
        )  # fmt: skip
        session.add(mailbox)
        await session.flush()
        conversation = Conversation(mailbox_id=mailbox.id, token="t")
        session.add(conversation)
        await session.flush()
        await events.record(session, conversation, "created", actor=events.system_actor("ingest"))
        await events.record(session, conversation, "status", actor="agent:alice", detail={"status": "closed"})
        await events.record(session, conversation, "viewed", actor="agent:bob", timeline=False)
        return conversation.id


async def test_events_are_on_the_timeline_and_in_the_audit_chain(db: Database) -> None:
    conversation_id = await _conversation(db)
    async with db.session() as session:
        rows = await events.timeline(session, conversation_id)
        assert [(row.kind, row.actor) for row in rows] == [
            ("created", "system:ingest"),
            ("status", "agent:alice"),
        ]
        assert [row.audit_seq for row in rows] == [1, 2]
    async with db.session() as session:
        report = await verify_chain(session, events.CHAIN)
    assert report.ok and report.events == 3
    await db.dispose()


async def test_a_rolled_back_change_leaves_no_event(db: Database) -> None:
    conversation_id = await _conversation(db)

    async def fail() -> None:
        async with db.session() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            await events.record(session, conversation, "priority", actor="agent:a", detail={})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await fail()
    async with db.session() as session:
        assert len(await events.timeline(session, conversation_id)) == 2
    await db.dispose()


async def test_an_unknown_kind_is_refused(db: Database) -> None:
    conversation_id = await _conversation(db)
    async with db.session() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        with pytest.raises(InputError):
            await events.record(session, conversation, "exploded", actor="agent:a")
    await db.dispose()


async def test_attest_checks_the_inbox_chain_too(db: Database, tmp_path: Path) -> None:
    from sqlalchemy import update

    from mailwarden.archive.attest import attest
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.audit.models import AuditEvent

    await _conversation(db)
    store = blob_store(tmp_path)
    intact = await attest(db, store, blobs=False)
    assert intact.ok and intact.chains["inbox"].events == 3
    async with db.session() as session, session.begin():  # someone rewrites who closed the conversation
        await session.execute(
            update(AuditEvent)
            .where(AuditEvent.chain == events.CHAIN, AuditEvent.seq == 2)
            .values(actor="agent:mallory")
        )
    tampered = await attest(db, store, blobs=False)
    assert not tampered.ok
    broken = tampered.chains["inbox"].broken
    assert broken is not None and (broken.kind, broken.seq) == ("modified", 2)
    assert tampered.as_dict()["chains"]["inbox"]["broken"]["seq"] == 2
    await db.dispose()
