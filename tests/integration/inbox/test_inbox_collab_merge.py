"""Merge and split on SQLite and PostgreSQL: every message stays in exactly one conversation, threading
follows the messages, and two merges at once cannot both win."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mailwarden.access.models import Agent
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.merge import merge_conversations, split_conversation
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.notes import add_note, list_notes
from mailwarden.inbox.service import list_conversations, show_conversation
from mailwarden.inbox.tags import change_tags

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail
from inbox_collab_env import Team, make_team

ACTOR = "agent:Li Lei"


@pytest.fixture
async def team(db: Database, tmp_path: Path) -> Team:
    return await make_team(db, tmp_path)


async def _kinds(db: Database, conversation_id: int) -> list[str]:
    async with db.session() as session:
        return [e.kind for e in await events.timeline(session, conversation_id)]


async def test_a_merge_moves_messages_notes_and_tags_and_hides_the_merged_one(team: Team) -> None:
    weber, claire = await team.conversations()
    await add_note(team.db, claire.id, "same buyer group as Weber", author="Li Lei")
    await change_tags(team.db, claire.id, add=["VIP", "样品"], actor=ACTOR)
    await change_tags(team.db, weber.id, add=["vip"], actor=ACTOR)

    result = await merge_conversations(team.db, weber.id, claire.uid, actor=ACTOR)

    assert (result.messages, result.notes, result.tags_added) == (1, 1, ["样品"])
    assert set((await team.placement()).values()) == {weber.id}
    page = await list_conversations(team.db)
    assert [c.id for c in page.items] == [weber.id] and page.total == 1
    assert (await list_conversations(team.db, include_merged=True)).total == 2
    shown = await show_conversation(team.db, claire.id)
    assert (shown.merged_into_id, shown.summary.status, shown.messages) == (weber.id, "closed", [])
    kept = await show_conversation(team.db, weber.id)
    assert [m.message_id for m in kept.messages] == ["q1@weber", "r1@example.test", "q2@weber", "f1@lumiere"]
    assert kept.tags == ["vip", "样品"] and kept.summary.last_message_at == later(90)
    assert len(await list_notes(team.db, weber.id)) == 1
    assert (await _kinds(team.db, claire.id))[-2:] == ["merged", "status"]
    assert "merged" in await _kinds(team.db, weber.id)


async def test_a_merge_keeps_someone_on_the_case(team: Team) -> None:
    """GIVEN Claire's conversation assigned to Li Lei and Anna's to nobody, WHEN Claire's is merged into
    Anna's, THEN Li Lei handles the merged one, with an 'assigned' event saying why."""
    weber, claire = await team.conversations()
    async with team.db.session() as session, session.begin():
        li = await session.scalar(select(Agent.id).where(Agent.name == "Li Lei"))
        await session.execute(update(Conversation).where(Conversation.id == claire.id).values(assignee_id=li))
    await merge_conversations(team.db, weber.id, claire.id, actor=ACTOR)
    assert (await show_conversation(team.db, weber.id)).summary.assignee == "Li Lei"
    async with team.db.session() as session:
        [assigned] = await events.timeline(session, weber.id, kinds=["assigned"])
    assert assigned.detail == {"agent": "Li Lei", "previous": None, "why": "merged"}


async def test_merge_refuses_itself_twice_and_other_mailboxes(team: Team, tmp_path: Path) -> None:
    weber, claire = await team.conversations()
    with pytest.raises(InputError):
        await merge_conversations(team.db, weber.id, weber.id, actor=ACTOR)
    await merge_conversations(team.db, weber.id, claire.id, actor=ACTOR)
    for into, source in ((weber.id, claire.id), (claire.id, weber.id)):
        with pytest.raises(ConflictError) as twice:
            await merge_conversations(team.db, into, source, actor=ACTOR)
        assert twice.value.params["into"] == weber.id
    info = await FilledArchive.create(team.db, tmp_path, name="info", address="info@example.test")
    await info.add(mail("Catalogue please", message_id="i1@weber"))
    await team.ingest()
    other = (await team.conversations())[-1]
    assert other.mailbox_id != weber.mailbox_id
    with pytest.raises(InputError) as mailboxes:
        await merge_conversations(team.db, weber.id, other.id, actor=ACTOR)
    assert mailboxes.value.key == "inbox.collab.merge_mailboxes"
    with pytest.raises(NotFoundError):  # a reader of sales@ only: info@'s conversation does not exist
        await merge_conversations(team.db, weber.id, other.id, actor=ACTOR, mailbox_ids=[weber.mailbox_id])


async def test_replies_to_a_merged_conversation_thread_into_the_one_it_was_merged_into(team: Team) -> None:
    weber, claire = await team.conversations()
    await merge_conversations(team.db, weber.id, claire.id, actor=ACTOR)
    # Claire answers her own old mail, and a reply carries the merged conversation's token only
    await team.archive.add(
        mail("Re: Demande de prix", sender="Claire Martin <claire@lumiere-sarl.fr>", message_id="f2@lumiere",
             in_reply_to="f1@lumiere", at=later(120)),
        mail("Re: Demande de prix", sender="Claire Martin <claire@lumiere-sarl.fr>", message_id="f3@lumiere",
             at=later(150), headers={"X-Mailwarden-Conversation": claire.token}),
    )  # fmt: skip
    report = await team.ingest()
    assert report.outcomes["attached"] == 2, report.as_dict()
    placement = await team.placement()
    assert placement["f2@lumiere"] == placement["f3@lumiere"] == weber.id
    assert len(await team.conversations()) == 2  # nothing new opened


async def test_a_split_moves_chosen_messages_and_later_replies_follow_them(team: Team) -> None:
    weber, _ = await team.conversations()
    by_id = {m.message_id: m.id for m in await team.messages()}
    await change_tags(team.db, weber.id, add=["led"], actor=ACTOR)

    result = await split_conversation(
        team.db, weber.id, [by_id["q2@weber"]], token_key=TOKEN_KEY, actor=ACTOR
    )

    placement = await team.placement()
    assert placement["q2@weber"] == result.new_id
    assert placement["q1@weber"] == placement["r1@example.test"] == weber.id
    new = await show_conversation(team.db, result.new_uid)
    assert (new.summary.subject, new.summary.status, new.contact and new.contact.name) == (
        "Re: Re: LED panels for 40 shops",
        "open",
        "Anna Weber",
    )
    assert new.tags == ["led"] and new.summary.first_message_at == later(60)
    old = await show_conversation(team.db, weber.id)
    assert old.summary.last_customer_at == later(0) and old.summary.last_message_at == later(30)
    assert await _kinds(team.db, result.new_id) == ["created", "split", "tagged"]
    assert (await _kinds(team.db, weber.id))[-1] == "split"

    await team.archive.add(
        mail("Re: 1,000 pieces", sender="Sales <sales@example.test>", to="anna@weber-gmbh.de",
             message_id="r2@example.test", in_reply_to="q2@weber", at=later(200)),
        folder="Sent",
    )  # fmt: skip
    await team.ingest()
    assert (await team.placement())["r2@example.test"] == result.new_id


async def test_a_split_refuses_foreign_messages_nothing_and_everything(team: Team) -> None:
    weber, _ = await team.conversations()
    by_id = {m.message_id: m.id for m in await team.messages()}
    with pytest.raises(NotFoundError):
        await split_conversation(team.db, weber.id, [by_id["f1@lumiere"]], token_key=TOKEN_KEY, actor=ACTOR)
    with pytest.raises(InputError):
        await split_conversation(team.db, weber.id, [], token_key=TOKEN_KEY, actor=ACTOR)
    everything = [by_id["q1@weber"], by_id["r1@example.test"], by_id["q2@weber"]]
    with pytest.raises(InputError) as all_of_it:
        await split_conversation(team.db, weber.id, everything, token_key=TOKEN_KEY, actor=ACTOR)
    assert all_of_it.value.key == "inbox.collab.split_all"
    assert len(await team.conversations()) == 2


async def test_merge_then_split_round_trip_keeps_every_message_in_one_conversation(team: Team) -> None:
    weber, claire = await team.conversations()
    before = await team.messages()
    await merge_conversations(team.db, weber.id, claire.id, actor=ACTOR)
    f1 = next(m.id for m in before if m.message_id == "f1@lumiere")
    split = await split_conversation(team.db, weber.id, [f1], token_key=TOKEN_KEY, actor=ACTOR)
    after = await team.messages()
    assert sorted(m.id for m in after) == sorted(m.id for m in before)
    assert all(m.conversation_id is not None for m in after)
    placement = {m.message_id: m.conversation_id for m in after}
    assert placement["f1@lumiere"] == split.new_id
    assert {placement[k] for k in ("q1@weber", "r1@example.test", "q2@weber")} == {weber.id}


async def test_two_merges_at_once_cannot_both_win(team: Team) -> None:
    """GIVEN two agents merging A into B and B into A at the same moment, THEN one merge wins, the other is
    refused, and every message is in the surviving conversation."""
    weber, claire = await team.conversations()
    outcomes = await asyncio.gather(
        merge_conversations(team.db, weber.id, claire.id, actor="agent:a"),
        merge_conversations(team.db, claire.id, weber.id, actor="agent:b"),
        return_exceptions=True,
    )
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), outcomes
    alive = await team.conversations(include_merged=False)
    assert len(alive) == 1
    assert set((await team.placement()).values()) == {alive[0].id}


async def test_a_merge_during_an_ingest_leaves_no_message_behind(team: Team) -> None:
    """GIVEN Claire's replies being ingested while her conversation is merged away, THEN none of them stays
    in the merged conversation, whichever commits first."""
    weber, claire = await team.conversations()
    await team.archive.add(
        *(
            mail(f"Re: Demande de prix {n}", sender="Claire Martin <claire@lumiere-sarl.fr>",
                 message_id=f"c{n}@lumiere", in_reply_to="f1@lumiere", at=later(100 + n))
            for n in range(60)
        )
    )  # fmt: skip
    await asyncio.gather(team.ingest(), merge_conversations(team.db, weber.id, claire.id, actor=ACTOR))
    placement = await team.placement()
    assert {placement[f"c{n}@lumiere"] for n in range(60)} == {weber.id}


async def test_a_merged_conversation_takes_no_more_notes_or_tags(team: Team) -> None:
    weber, claire = await team.conversations()
    await merge_conversations(team.db, weber.id, claire.id, actor=ACTOR)
    with pytest.raises(ConflictError) as noted:
        await add_note(team.db, claire.id, "too late", author="Li Lei")
    assert noted.value.params == {"id": claire.id, "into": weber.id}
    with pytest.raises(ConflictError):
        await change_tags(team.db, claire.id, add=["x"], actor=ACTOR)


async def test_notes_written_during_a_merge_are_never_stranded(team: Team) -> None:
    weber, claire = await team.conversations()
    outcomes = await asyncio.gather(
        *(add_note(team.db, claire.id, f"note {n}", author="Li Lei") for n in range(5)),
        merge_conversations(team.db, weber.id, claire.id, actor=ACTOR),
        *(add_note(team.db, claire.id, f"note {n}", author="Li Lei") for n in range(5, 10)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, ConflictError) for o in refused), refused
    assert await list_notes(team.db, claire.id) == []
    assert len(await list_notes(team.db, weber.id)) == 10 - len(refused)


async def test_a_merged_conversation_is_never_suggested_again(team: Team) -> None:
    """GIVEN Claire's "LED panels for the Lyon store" merged into Anna's conversation, WHEN Claire writes
    a new mail with that subject, THEN the merged conversation is not suggested (its messages are in a
    conversation of another customer: suggesting that would cross customers)."""
    weber, _ = await team.conversations()
    lyon = "LED panels for the Lyon store"
    claire = "Claire Martin <claire@lumiere-sarl.fr>"
    await team.archive.add(mail(lyon, sender=claire, message_id="l1@lumiere", at=later(100)))
    await team.ingest()
    first = (await team.conversations())[-1]
    await team.archive.add(mail(lyon, sender=claire, message_id="l2@lumiere", at=later(110)))
    await team.ingest()
    assert (await team.conversations())[-1].suggested_ids == [first.id]  # the rule this test relies on
    await merge_conversations(team.db, weber.id, first.id, actor=ACTOR)
    await team.archive.add(mail(lyon, sender=claire, message_id="l3@lumiere", at=later(240)))
    await team.ingest()
    newest = (await team.conversations())[-1]
    assert first.id not in newest.suggested_ids
