"""Tags, canned replies and contact merges against real tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.canned import add_canned, get_canned, list_canned, remove_canned, render_canned
from mailwarden.inbox.contacts import list_merge_candidates, merge_contacts
from mailwarden.inbox.models import Contact, ContactAddress, Conversation
from mailwarden.inbox.service import list_conversations, show_conversation
from mailwarden.inbox.tags import change_tags, tag_counts

from inbox_archive import FilledArchive, later, mail
from inbox_collab_env import Team, make_team

ACTOR = "agent:Li Lei"


@pytest.fixture
async def team(db: Database, tmp_path: Path) -> Team:
    return await make_team(db, tmp_path, channel=False)


async def test_tags_are_normalised_listed_and_each_change_is_an_event(team: Team) -> None:
    weber, claire = await team.conversations()
    change = await change_tags(team.db, weber.id, add=["VIP", " 询盘 ", "vip"], actor=ACTOR)
    assert (change.added, change.tags) == (["vip", "询盘"], ["vip", "询盘"])
    again = await change_tags(team.db, weber.uid, add=["Vip"], remove=["询盘", "never-there"], actor=ACTOR)
    assert (again.added, again.removed, again.tags) == ([], ["询盘"], ["vip"])
    await change_tags(team.db, claire.id, add=["ＶＩＰ"], actor=ACTOR)
    async with team.db.session() as session:
        kinds = [
            (e.kind, e.detail["tag"])
            for e in await events.timeline(session, weber.id, kinds=["tagged", "untagged"])
        ]
    assert kinds == [("tagged", "vip"), ("tagged", "询盘"), ("untagged", "询盘")]
    assert {c.id for c in (await list_conversations(team.db, tag="VIP")).items} == {weber.id, claire.id}
    assert (await list_conversations(team.db, tag="询盘")).total == 0
    assert await tag_counts(team.db) == [("vip", 2)]
    assert (await show_conversation(team.db, weber.id)).tags == ["vip"]
    with pytest.raises(InputError):
        await change_tags(team.db, weber.id, add=["x"], remove=["X"], actor=ACTOR)
    with pytest.raises(InputError):
        await list_conversations(team.db, tag="+bad")
    with pytest.raises(NotFoundError):
        await change_tags(team.db, weber.id, add=["x"], actor=ACTOR, mailbox_ids=[])
    assert await tag_counts(team.db, mailbox_ids=[]) == []


async def test_a_canned_reply_renders_for_a_conversation_and_an_agent(team: Team) -> None:
    weber, _ = await team.conversations()
    body = (
        "Dear {customer_first_name|customer},\n\n"
        "thank you for your inquiry about {conversation_subject}.\n\n{agent_name}\n{mailbox_address}"
    )
    await add_canned(
        team.db, "Thanks", body, html="<p>Dear {customer_first_name}</p><p>{company}</p>", actor=ACTOR
    )
    shown = await render_canned(team.db, "thanks", weber.id, agent="王芳")
    assert shown.text == (
        "Dear Anna,\n\nthank you for your inquiry about LED panels for 40 shops.\n\n王芳\nsales@example.test"
    )
    assert shown.html == "<p>Dear Anna</p><p>weber-gmbh.de</p>"
    with pytest.raises(ConflictError):
        await add_canned(team.db, "THANKS", "x", actor=ACTOR)
    replaced = await add_canned(team.db, "THANKS", "Hi {customer_name}", actor=ACTOR, replace=True)
    assert (replaced.name, replaced.html) == ("THANKS", None)
    assert (await render_canned(team.db, "Thanks", weber.id, agent="Li Lei")).text == "Hi Anna Weber"
    with pytest.raises(InputError) as unknown:
        await add_canned(team.db, "broken", "Hi {customer.name}", actor=ACTOR)
    assert unknown.value.params["name"] == "customer.name"
    with pytest.raises(NotFoundError):
        await render_canned(team.db, "thanks", weber.id, agent="Nobody")
    await remove_canned(team.db, "thanks", actor=ACTOR)
    assert await list_canned(team.db) == []


async def test_a_customer_with_a_chinese_name(team: Team) -> None:
    await team.archive.add(
        mail(
            "询价：LED 面板",
            sender="=?utf-8?b?546L6Iqz?= <wangfang@example.cn>",
            message_id="cn1@x",
            at=later(5),
        )
    )
    await team.ingest()
    chinese = (await team.conversations())[-1]
    await add_canned(
        team.db, "问候", "{customer_first_name}您好，关于“{conversation_subject}”……", actor=ACTOR
    )
    shown = await render_canned(team.db, "问候", chinese.id, agent="王芳")
    assert shown.text == "王芳您好，关于“询价：LED 面板”……"


async def test_canned_replies_of_one_mailbox_stay_there(team: Team, tmp_path: Path) -> None:
    weber, _ = await team.conversations()
    info = await FilledArchive.create(team.db, tmp_path, name="info", address="info@example.test")
    await info.add(mail("Catalogue please", message_id="i1@weber"))
    await team.ingest()
    other = (await team.conversations())[-1]
    await add_canned(team.db, "info-only", "Hello from info", mailbox="info", actor=ACTOR)
    await add_canned(team.db, "everyone", "Hello", actor=ACTOR)
    assert [c.name for c in await list_canned(team.db, mailbox="sales")] == ["everyone"]
    assert [c.name for c in await list_canned(team.db, mailbox="info")] == ["everyone", "info-only"]
    assert (await render_canned(team.db, "info-only", other.id, agent="Li Lei")).text == "Hello from info"
    with pytest.raises(NotFoundError):
        await render_canned(team.db, "info-only", weber.id, agent="Li Lei")
    sales_only = [weber.mailbox_id]
    assert [c.name for c in await list_canned(team.db, mailbox_ids=sales_only)] == ["everyone"]
    with pytest.raises(NotFoundError):
        await get_canned(team.db, "info-only", mailbox_ids=sales_only)
    with pytest.raises(InputError):  # a limited user cannot touch global replies
        await add_canned(team.db, "mine", "x", actor=ACTOR, mailbox_ids=sales_only)
    with pytest.raises(NotFoundError):
        await add_canned(team.db, "mine", "x", mailbox="info", actor=ACTOR, mailbox_ids=sales_only)


async def test_contacts_merge_and_candidates(team: Team) -> None:
    await team.archive.add(
        mail(
            "Second address",
            sender="Anna Weber <a.weber@weber-gmbh.de>",
            message_id="q9@weber",
            at=later(300),
        )
    )
    await team.ingest()
    [group] = await list_merge_candidates(team.db)
    assert group.reason == "same_name_same_company"
    first, second = (c.id for c in group.contacts)
    result = await merge_contacts(team.db, first, second, actor=ACTOR)
    assert (result.addresses, result.conversations) == (1, 1)
    assert await list_merge_candidates(team.db) == []
    async with team.db.session() as session:
        keys = set(
            await session.scalars(select(ContactAddress.key).where(ContactAddress.contact_id == first))
        )
        merged = await session.get(Contact, second)
        owners = set(await session.scalars(select(Conversation.contact_id)))
    assert keys == {"anna@weber-gmbh.de", "a.weber@weber-gmbh.de"}
    assert merged is not None and merged.merged_into_id == first
    assert second not in owners
    with pytest.raises(ConflictError):
        await merge_contacts(team.db, first, second, actor=ACTOR)
    with pytest.raises(InputError):
        await merge_contacts(team.db, first, first, actor=ACTOR)
    with pytest.raises(NotFoundError):
        await merge_contacts(team.db, first, 4711, actor=ACTOR)
    # the next mail from the merged address goes to the kept contact
    await team.archive.add(
        mail(
            "Another one", sender="Anna Weber <a.weber@weber-gmbh.de>", message_id="q10@weber", at=later(400)
        )
    )
    await team.ingest()
    newest = (await team.conversations())[-1]
    assert newest.contact_id == first
