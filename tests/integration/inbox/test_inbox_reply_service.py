"""The reply service without a mail server: collisions (the traffic cop), presence, signatures, the queue's
bookkeeping — on SQLite and PostgreSQL (the ``db`` fixture of tests/integration/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.access.service import add_agent
from mailwarden.audit.models import AuditEvent
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import events, reply
from mailwarden.inbox.ingest import ingest, load_team
from mailwarden.inbox.models import ConversationMessage
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.inbox.reply_errors import ReplyConflict
from mailwarden.inbox.signatures import set_signature
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.mime import parse_message

from inbox_archive import FilledArchive, later, mail


async def _setup(db: Database, tmp_path: Path) -> tuple[FilledArchive, Settings, int]:
    key = generate_key()
    settings = Settings(data_dir=tmp_path, secret_key=key)
    archive = await FilledArchive.create(db, settings.archive_dir)
    await archive.add(mail("LED panels", message_id="q1@weber.example", at=later(0)))
    keys = SecretBox.from_text(key, "test").derive(KEY_PURPOSE)
    await ingest(db, archive.store, await load_team(db, keys))
    for name in ("alice", "bob"):
        await add_agent(db, name, f"{name}@example.test")
    async with db.session() as session:
        first = await session.scalar(select(ConversationMessage).order_by(ConversationMessage.id))
    assert first is not None and first.conversation_id is not None
    return archive, settings, first.conversation_id


async def _seen(db: Database, conversation_id: int) -> int:
    async with db.session() as session:
        newest = await session.scalar(
            select(ConversationMessage.id)
            .where(ConversationMessage.conversation_id == conversation_id)
            .order_by(ConversationMessage.id.desc())
        )
    assert newest is not None
    return newest


async def test_a_queued_reply_is_stored_composed_with_its_event(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    await set_signature(db, "alice", text="Alice Chen\nACME Export", html="<b>Alice</b><script>x()</script>")
    wake = asyncio.Event()
    queued = await reply.reply(
        db,
        settings,
        conversation_id,
        agent="alice",
        body_text="Dear Anna,\nprices attached.",
        body_html="<p>Dear Anna,</p><img src=x onerror=alert(1)>",
        wake=wake,
    )
    assert wake.is_set()
    assert (queued.status, queued.agent, queued.rcpt_to) == ("queued", "alice", ["anna@weber-gmbh.de"])
    async with db.session() as session:
        row = await session.get(Outgoing, queued.id)
        assert row is not None
        parsed = parse_message(row.raw)
        timeline = await events.timeline(session, conversation_id)
    assert parsed.message_id == queued.message_id and parsed.in_reply_to == "q1@weber.example"
    assert parsed.subject == "Re: LED panels"
    assert "-- \nAlice Chen\nACME Export" in parsed.text
    assert "> Please send your price list." in parsed.text  # the customer's words quoted
    assert parsed.html is not None and "<script>" not in parsed.html and "onerror" not in parsed.html
    assert "<b>Alice</b>" in parsed.html
    assert [(e.kind, e.actor) for e in timeline] == [
        ("created", "system:ingest"),
        ("reply_queued", "agent:alice"),
    ]


async def test_a_newer_customer_message_is_a_conflict_unless_confirmed(db: Database, tmp_path: Path) -> None:
    archive, settings, conversation_id = await _setup(db, tmp_path)
    seen = await _seen(db, conversation_id)
    await archive.add(
        mail("Re: LED panels", message_id="q2@weber.example", in_reply_to="q1@weber.example", at=later(5))
    )
    await ingest(db, archive.store, await load_team(db, [b"x" * 32]))

    with pytest.raises(ReplyConflict) as caught:
        await reply.reply(db, settings, conversation_id, agent="alice", body_text="Hi", seen_message_id=seen)
    assert [(n["kind"], n["from"]) for n in caught.value.news] == [("customer_message", "anna@weber-gmbh.de")]
    assert caught.value.as_dict()["news"][0]["subject"] == "Re: LED panels"
    assert isinstance(caught.value, ConflictError)  # the API maps it to 409 like every conflict

    confirmed = await reply.reply(
        db, settings, conversation_id, agent="alice", body_text="Hi", seen_message_id=seen, confirm=True
    )
    assert confirmed.status == "queued"
    # having read the new message, nothing is in the way
    newest = await _seen(db, conversation_id)
    async with db.session() as session:
        detail = (await events.timeline(session, conversation_id))[-1].detail
    assert detail["confirmed"] is True
    assert newest > seen


async def test_another_agents_reply_on_its_way_is_a_conflict(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    seen = await _seen(db, conversation_id)
    await reply.reply(db, settings, conversation_id, agent="bob", body_text="Bob here", seen_message_id=seen)
    with pytest.raises(ReplyConflict) as caught:
        await reply.reply(
            db, settings, conversation_id, agent="alice", body_text="Alice", seen_message_id=seen
        )
    assert [(n["kind"], n["agent"]) for n in caught.value.news] == [("reply_queued", "bob")]
    # the agent's own earlier reply is no news to them
    await reply.reply(db, settings, conversation_id, agent="bob", body_text="P.S.", seen_message_id=seen)


async def test_a_seen_message_of_another_conversation_is_refused(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    with pytest.raises(InputError):
        await reply.reply(db, settings, conversation_id, agent="alice", body_text="x", seen_message_id=10**6)
    with pytest.raises(NotFoundError):
        await reply.reply(db, settings, conversation_id, agent="nobody", body_text="x")
    with pytest.raises(NotFoundError):
        await reply.reply(db, settings, conversation_id, agent="alice", body_text="x", mailbox_ids=[])
    with pytest.raises(InputError):
        await reply.reply(db, settings, conversation_id, agent="alice", body_text="  ")


async def test_presence_shows_who_else_is_there_and_expires(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    with clock.frozen(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) as frozen:
        assert await reply.touch_presence(db, settings, conversation_id, agent="bob", state="viewing") == []
        others = await reply.touch_presence(db, settings, conversation_id, agent="alice", state="replying")
        assert [(p.agent, p.state) for p in others] == [("bob", "viewing")]
        await reply.touch_presence(db, settings, conversation_id, agent="bob", state="replying")
        frozen.advance(timedelta(seconds=45))
        others = await reply.touch_presence(db, settings, conversation_id, agent="bob", state="replying")
        assert [(p.agent, p.state) for p in others] == [("alice", "replying")]
        frozen.advance(timedelta(seconds=30))  # alice's heartbeat is 75 s old: gone
        assert await reply.touch_presence(db, settings, conversation_id, agent="bob", state="viewing") == []
        with pytest.raises(InputError):
            await reply.touch_presence(db, settings, conversation_id, agent="bob", state="typing")
        # queueing a reply ends the agent's presence
        await reply.touch_presence(db, settings, conversation_id, agent="alice", state="replying")
        await reply.reply(db, settings, conversation_id, agent="alice", body_text="Done")
        assert await reply.touch_presence(db, settings, conversation_id, agent="bob", state="viewing") == []
    async with db.session() as session:
        views = list(
            await session.scalars(
                select(AuditEvent.actor).where(AuditEvent.action == "inbox.viewed").order_by(AuditEvent.seq)
            )
        )
    # a view is audited when it starts, not on every heartbeat; alice came back after her presence expired
    assert views == ["agent:bob", "agent:alice", "agent:alice"]


async def test_a_mailbox_signature_wins_over_the_default(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    await set_signature(db, "alice", text="Alice (default)")
    await set_signature(db, "alice", text="Alice, Sales", mailbox="sales")
    await set_signature(db, "alice", text="Alice, Sales team", mailbox="sales")  # replaced, not added
    queued = await reply.reply(db, settings, conversation_id, agent="alice", body_text="Hi", quote=False)
    async with db.session() as session:
        row = await session.get(Outgoing, queued.id)
    assert row is not None
    text = parse_message(row.raw).text
    assert "Alice, Sales team" in text and "default" not in text and ">" not in text
    with pytest.raises(NotFoundError):
        await set_signature(db, "alice", text="x", mailbox="nope")


async def test_retry_only_takes_failed_replies(db: Database, tmp_path: Path) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    queued = await reply.reply(db, settings, conversation_id, agent="alice", body_text="Hi")
    with pytest.raises(ConflictError):
        await reply.retry(db, queued.id, actor="cli:test")
    with pytest.raises(NotFoundError):
        await reply.retry(db, 999, actor="cli:test")
    listed = await reply.list_outgoing(db, conversation=conversation_id)
    assert [r.id for r in listed] == [queued.id] and listed[0].next_attempt_at is not None
    assert await reply.list_outgoing(db, mailbox_ids=[]) == []
    with pytest.raises(InputError):
        await reply.list_outgoing(db, status="lost")


async def test_an_html_only_reply_gets_its_text_version_and_size_is_bounded(
    db: Database, tmp_path: Path
) -> None:
    _, settings, conversation_id = await _setup(db, tmp_path)
    queued = await reply.reply(
        db, settings, conversation_id, agent="alice", body_text="", body_html="<p>Price: <b>12.50</b> USD</p>"
    )
    async with db.session() as session:
        row = await session.get(Outgoing, queued.id)
    assert row is not None
    parsed = parse_message(row.raw)
    assert "Price: 12.50 USD" in parsed.text.replace("*", "") and parsed.html is not None

    small = settings.model_copy(
        update={
            "inbox": settings.inbox.model_copy(
                update={"replies": settings.inbox.replies.model_copy(update={"max_bytes": 2000})}
            )
        }
    )
    from mailwarden.inbox.compose import Attachment

    with pytest.raises(InputError) as caught:
        await reply.reply(
            db,
            small,
            conversation_id,
            agent="alice",
            body_text="x",
            attachments=[Attachment("a.bin", "", b"0" * 5000)],
        )
    assert caught.value.key == "inbox.reply.too_large"
