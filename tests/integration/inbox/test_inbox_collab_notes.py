"""Internal notes on SQLite and PostgreSQL: versions kept, @mentions queued in the notify outbox with the
agents' chat ids, in the note's transaction, and nothing shown outside the reader's mailboxes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.ingest import ingest, load_team
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.notes import add_note, edit_note, list_notes
from mailwarden.inbox.place import Placed
from mailwarden.notify.alerts import Alert, render
from mailwarden.notify.transports import TRANSPORTS
from mailwarden.notify.transports.base import Context, Target
from mailwarden.notify.transports.http import HTTP

from inbox_archive import TOKEN_KEY, later, mail
from inbox_collab_env import Team, make_team


@pytest.fixture
async def team(db: Database, tmp_path: Path) -> Team:
    return await make_team(db, tmp_path)


async def test_a_mention_reaches_the_outbox_with_the_agents_chat_ids(team: Team) -> None:
    weber, _ = await team.conversations()
    written = await add_note(
        team.db,
        weber.id,
        "@王芳请看一下报价，@li lei FYI. Ask anna@weber-gmbh.de, not @nobody.",
        author="Anna Weber",
    )
    assert written.alerted == ["王芳", "Li Lei"]
    assert written.unknown_mentions == ["nobody"]
    assert written.note.mentions == ["王芳", "Li Lei"]
    items = await team.outbox()
    assert [i.alert_key for i in items] == [
        f"mention/{written.note.id}/王芳",
        f"mention/{written.note.id}/Li Lei",
    ]
    alert = Alert.from_dict(items[1].alert)
    assert alert.kind == "inbox.mention"
    [li] = alert.mentions
    assert (li.name, li.id_for("dingtalk"), li.id_for("lark"), li.timezone) == (
        "Li Lei",
        "13800138000",
        "ou_li",
        "Asia/Shanghai",
    )
    shown = render(alert, "zh-CN")
    assert shown.title == "Anna Weber 在备注中提到了你：LED panels for 40 shops"
    assert f"会话：#{weber.id}（sales）" in shown.lines and "客户：Anna Weber" in shown.lines
    assert render(alert, "en").title == "Anna Weber mentioned you: LED panels for 40 shops"


async def test_an_edit_keeps_every_version_and_alerts_only_new_mentions(team: Team) -> None:
    weber, _ = await team.conversations()
    first = await add_note(team.db, weber.id, "Price agreed with @Li Lei", author="Anna Weber")
    again = await edit_note(
        team.db, first.note.id, "Price agreed with @Li Lei and @王芳", editor="Anna Weber"
    )
    assert (again.note.version, again.alerted) == (2, ["王芳"])
    same = await edit_note(team.db, first.note.id, "Price agreed with @Li Lei and @王芳", editor="Anna Weber")
    assert same.note.version == 2  # nothing changed: nothing recorded
    assert len(await team.outbox()) == 2
    [note] = await list_notes(team.db, weber.uid, history=True)
    assert [v["text"] for v in note.history] == [
        "Price agreed with @Li Lei",
        "Price agreed with @Li Lei and @王芳",
    ]
    assert [v["written_by"] for v in note.history] == ["agent:Anna Weber"] * 2
    async with team.db.session() as session:
        timeline = await events.timeline(session, weber.id, kinds=["note"])
    assert [e.detail["version"] for e in timeline] == [1, 2]


async def test_only_the_author_edits_and_self_mentions_do_not_alert(team: Team) -> None:
    weber, _ = await team.conversations()
    written = await add_note(team.db, weber.id, "note to self @Anna Weber", author="Anna Weber")
    assert (written.note.mentions, written.alerted) == (["Anna Weber"], [])
    with pytest.raises(InputError) as refused:
        await edit_note(team.db, written.note.id, "changed", editor="Li Lei")
    assert refused.value.key == "inbox.collab.note_not_author"
    assert await team.outbox() == []


async def test_bad_notes_are_refused_and_leave_nothing(team: Team) -> None:
    weber, _ = await team.conversations()
    for text in ("   ", "x" * 20_001, "bell \x07"):
        with pytest.raises(InputError):
            await add_note(team.db, weber.id, text, author="Li Lei")
    with pytest.raises(NotFoundError):
        await add_note(team.db, weber.id, "hi", author="Nobody")
    assert await list_notes(team.db, weber.id) == []


async def test_a_reader_without_the_mailbox_sees_no_note(team: Team) -> None:
    weber, _ = await team.conversations()
    written = await add_note(team.db, weber.id, "secret price", author="Li Lei")
    other = [weber.mailbox_id + 1000]
    with pytest.raises(NotFoundError) as hidden:
        await list_notes(team.db, weber.id, mailbox_ids=other)
    assert hidden.value.key == "inbox.conversation_not_found"
    with pytest.raises(NotFoundError):
        await add_note(team.db, weber.id, "x", author="Li Lei", mailbox_ids=other)
    with pytest.raises(NotFoundError) as edit_hidden:
        await edit_note(team.db, written.note.id, "y", editor="Li Lei", mailbox_ids=other)
    assert edit_hidden.value.key == "inbox.collab.note_not_found"
    assert len(await list_notes(team.db, weber.id, mailbox_ids=[weber.mailbox_id])) == 1


@pytest.mark.parametrize(
    ("kind", "who", "ident"), [("dingtalk", "Li Lei", "13800138000"), ("wecom", "王芳", "wangfang")]
)
async def test_the_chat_message_mentions_the_agent_for_real(
    team: Team, kind: str, who: str, ident: str
) -> None:
    """The outbox alert, rendered and turned into the vendor's payload, @mentions the agent by the id that
    chat system knows them by (DingTalk: the mobile in ``at.atMobiles`` and ``@mobile`` in the text; WeCom:
    ``<@userid>``)."""
    weber, _ = await team.conversations()
    await add_note(team.db, weber.id, "@Li Lei @王芳 see the price", author="Anna Weber")
    item = next(i for i in await team.outbox() if i.alert_key.endswith(f"/{who}"))
    message = render(Alert.from_dict(item.alert), "zh-CN")
    http = HTTP(timeout=5.0)
    try:
        target = Target(name="t", kind=kind, url="https://chat.example/x")
        payload = TRANSPORTS[kind](target, Context(http)).payload(message)  # type: ignore[attr-defined]
    finally:
        await http.aclose()
    text = json.dumps(payload, ensure_ascii=False)
    if kind == "dingtalk":
        assert payload["at"]["atMobiles"] == [ident] and f"@{ident}" in payload["markdown"]["text"]
    else:
        assert f"<@{ident}>" in text


async def test_notes_written_while_the_ingest_records_events_never_deadlock(team: Team) -> None:
    """GIVEN an ingest whose hook records a timeline event per message (as assignment and the SLA clock
    do), placing 40 replies into Anna's conversation in batches of 5, WHEN ten notes are written on it
    meanwhile, THEN all of them and all the replies commit (both take the ingest cursor, then the
    conversation, then the audit head: no lock cycle, no deadlock abort)."""
    weber, _ = await team.conversations()

    async def hook(session: AsyncSession, placed: Placed) -> None:
        if placed.conversation_id is not None:
            conversation = await session.get(Conversation, placed.conversation_id)
            assert conversation is not None
            await events.record(session, conversation, "priority", actor="system:test", detail={})

    await team.archive.add(
        *(
            mail(f"Re: LED panels {n}", message_id=f"d{n}@weber", in_reply_to="q1@weber", at=later(100 + n))
            for n in range(40)
        )
    )
    team_ = await load_team(team.db, [TOKEN_KEY])
    outcomes = await asyncio.gather(
        ingest(team.db, team.archive.store, team_, batch=5, on_placed=hook),
        *(add_note(team.db, weber.id, f"note {n}", author="Li Lei") for n in range(10)),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert len(await list_notes(team.db, weber.id)) == 10
    placement = await team.placement()
    assert {placement[f"d{n}@weber"] for n in range(40)} == {weber.id}
