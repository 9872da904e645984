"""Assignment by hand, rules kept in order, sticky owners, and agents' availability settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.access.models import Agent
from mailwarden.audit.models import AuditEvent
from mailwarden.audit.service import verify_chain
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.core.settings import InboxSettings
from mailwarden.db.engine import Database
from mailwarden.inbox import assign_agents, assign_owner, assign_rules, events
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.assign_queue import list_queue
from mailwarden.inbox.models_assign import AssignQueue
from mailwarden.inbox.teams import Teams

from inbox_archive import mail
from inbox_assign_env import Env


@pytest.fixture
async def env(db: Database, tmp_path: Path) -> Env:
    created = await Env.create(db, tmp_path)
    await created.ingest(mail("Price list"))
    return created


async def test_reassign_is_audited_and_back_to_the_queue_is_too(env: Env) -> None:
    conversation = await env.conversation("Price list")
    before = (await env.assignees())["Price list"]
    target = "cy" if before != "cy" else "bo"

    done = await env.assigner.reassign(env.db, conversation.uid, target, actor="agent:anna")
    assert (done.agent, done.previous, done.why) == (target, before, {"step": "manual"})
    again = await env.assigner.reassign(env.db, str(conversation.id), target, actor="agent:anna")
    assert again.agent == target  # nothing changed: nothing recorded

    back = await env.assigner.reassign(env.db, conversation.id, None, actor="agent:anna")
    assert back.queued and back.previous == target
    assert (await env.assignees())["Price list"] is None
    async with env.db.session() as session:
        assert await session.get(AssignQueue, conversation.id) is not None

    rows = await env.events()
    assert [(r.actor, r.detail["agent"], r.detail["previous"]) for r in rows[1:]] == [
        ("agent:anna", target, before),
        ("agent:anna", None, target),
    ]
    async with env.db.session() as session:
        report = await verify_chain(session, events.CHAIN)
        assert report.ok
        audited = list(
            await session.scalars(select(AuditEvent.action).where(AuditEvent.chain == events.CHAIN))
        )
    assert audited.count("inbox.assigned") == 3


async def test_our_own_first_mail_is_not_assigned_but_can_be_queued_by_hand(env: Env) -> None:
    await env.ingest(mail("Our offer", sender="sales@example.test", to="new@newco.de"), folder="Sent")
    offer = await env.conversation("Our offer")
    assert offer.assignee_id is None and offer.status == "pending"
    queued = await env.assigner.reassign(env.db, offer.id, None, actor="agent:anna")
    assert queued.queued and queued.previous is None
    [event] = [e for e in await env.events("queued") if e.conversation_id == offer.id]
    assert event.detail == {"team": "sales", "why": {"step": "manual"}}
    again = await env.assigner.reassign(env.db, offer.id, None, actor="agent:anna")
    assert again.queued and len(await env.events("queued")) == 1  # already there: nothing recorded


async def test_the_customers_first_message_in_a_thread_we_opened_is_assigned_once(env: Env) -> None:
    # a first sync archives Sent before INBOX: our quotation opens the conversation, the inquiry it
    # answers (and the customer's later answer) attach to it; the customer's first message must be taken
    await env.ingest(
        mail("Re: Pumps", sender="sales@example.test", to="buyer@pumpco.de", message_id="q1@test",
             in_reply_to="i1@test", references=["i1@test"]),
        folder="Sent",
    )  # fmt: skip
    offer = await env.conversation("Re: Pumps")
    assert offer.assignee_id is None
    await env.ingest(mail("Pumps", sender="Buyer <buyer@pumpco.de>", message_id="i1@test"))
    assigned = (await env.assignees())["Re: Pumps"]
    assert assigned is not None
    [event] = [e for e in await env.events("assigned") if e.conversation_id == offer.id]
    await env.ingest(
        mail("Re: Re: Pumps", sender="Buyer <buyer@pumpco.de>", in_reply_to="q1@test", references=["q1@test"])
    )
    assert [e.id for e in await env.events("assigned") if e.conversation_id == offer.id] == [event.id]
    # put back in the queue by someone: a new customer message does not take it out again
    await env.assigner.reassign(env.db, offer.id, None, actor="agent:anna")
    await env.ingest(mail("Re: Pumps again", sender="Buyer <buyer@pumpco.de>", in_reply_to="q1@test"))
    assert (await env.assignees())["Re: Pumps"] is None


async def test_queued_conversations_follow_their_mailbox_to_its_team_now(env: Env) -> None:
    conversation = await env.conversation("Price list")
    await env.assigner.reassign(env.db, conversation.id, None, actor="t")
    manual = Assigner(Teams(InboxSettings.model_validate({"teams": {"desk": {"assign": "manual"}}})))
    waiting = await manual.assign_waiting(env.db)
    assert waiting.assigned == [] and waiting.still_queued == 1
    assert [q.team for q in await list_queue(env.db)] == ["desk"]
    nobody = Assigner(Teams(InboxSettings.model_validate({"teams": {"other": {"mailboxes": ["info"]}}})))
    done = await nobody.assign_waiting(env.db)
    assert done.assigned == [] and done.still_queued == 0  # no team answers it: out of the queue
    assert await list_queue(env.db) == []


async def test_the_queue_takes_back_what_was_put_back(env: Env) -> None:
    conversation = await env.conversation("Price list")
    await env.assigner.reassign(env.db, conversation.id, None, actor="agent:anna")
    waiting = await env.assigner.assign_waiting(env.db)
    assert [a.conversation_id for a in waiting.assigned] == [conversation.id]
    assert (await env.assignees())["Price list"] is not None


async def test_reassign_refuses_unknown_agents_conversations_outside_the_readers_mailboxes_and_other_teams(
    env: Env,
) -> None:
    conversation = await env.conversation("Price list")
    with pytest.raises(NotFoundError):
        await env.assigner.reassign(env.db, conversation.id, "nobody", actor="t")
    with pytest.raises(NotFoundError):
        await env.assigner.reassign(env.db, "999999", "anna", actor="t")
    with pytest.raises(NotFoundError):  # a reader without rights to the mailbox learns nothing
        await env.assigner.reassign(
            env.db, conversation.id, "anna", actor="t", mailbox_ids=[conversation.mailbox_id + 1]
        )

    narrow = env.with_team(agents=["anna", "bo"])
    with pytest.raises(InputError) as refused:
        await narrow.reassign(env.db, conversation.id, "cy", actor="t")
    assert refused.value.key == "inbox.assign.not_in_team"
    forced = await narrow.reassign(env.db, conversation.id, "cy", actor="t", force=True)
    assert forced.why == {"step": "manual", "forced": True}


async def test_a_pinned_owner_is_not_moved_by_answering(env: Env) -> None:
    conversation = await env.conversation("Price list")
    pinned = await assign_owner.set_owner(env.db, "anna", company="WEBER-GMBH.DE", actor="t")
    assert pinned is not None and (pinned.party, pinned.source) == ("weber-gmbh.de", "manual")
    async with env.db.session() as session, session.begin():
        bo = await session.scalar(select(Agent).where(Agent.name == "bo"))
        fresh = await env.conversation("Price list")
        assert bo is not None
        await assign_owner.note_answered(session, fresh, bo)  # bo answers
    owners = {(o.kind, o.agent, o.source) for o in await assign_owner.list_owners(env.db)}
    assert owners == {("company", "anna", "manual"), ("contact", "bo", "answered")}

    await assign_owner.set_owner(env.db, None, company="weber-gmbh.de", actor="t")
    await assign_owner.set_owner(env.db, "cy", contact="Anna@weber-gmbh.de", actor="t")
    assert [(o.kind, o.party, o.agent) for o in await assign_owner.list_owners(env.db)] == [
        ("contact", "anna@weber-gmbh.de", "cy")
    ]
    with pytest.raises(NotFoundError):
        await assign_owner.set_owner(env.db, "cy", company="unknown.example", actor="t")
    with pytest.raises(InputError):
        await assign_owner.set_owner(env.db, "cy", actor="t")
    assert conversation.contact_id is not None


async def test_rules_keep_their_order_through_add_move_and_remove(env: Env) -> None:
    add = assign_rules.add_rule
    await add(env.db, "a", ["anna"], countries=["de"], actor="t")
    await add(env.db, "b", ["bo"], languages=["ZH"], actor="t")
    await add(env.db, "c", ["cy", "anna"], keywords=["rfq"], position=1, actor="t")
    assert [(r.name, r.position) for r in await assign_rules.list_rules(env.db)] == [
        ("c", 1),
        ("a", 2),
        ("b", 3),
    ]
    rules = await assign_rules.move_rule(env.db, "c", 9, actor="t")
    assert (
        [r.name for r in rules] == ["a", "b", "c"]
        and rules[0].countries == ["DE"]
        and rules[1].languages == ["zh"]
    )
    await assign_rules.remove_rule(env.db, "a", actor="t")
    assert [(r.name, r.position) for r in await assign_rules.list_rules(env.db)] == [("b", 1), ("c", 2)]

    with pytest.raises(ConflictError):
        await add(env.db, "b", ["bo"], actor="t")
    with pytest.raises(NotFoundError):
        await add(env.db, "d", ["nobody"], actor="t")
    with pytest.raises(NotFoundError):
        await add(env.db, "d", ["bo"], mailboxes=["nope"], actor="t")
    with pytest.raises(InputError):
        await add(env.db, "d", ["bo"], countries=["Germany"], actor="t")
    with pytest.raises(InputError):
        await add(env.db, "d", [], actor="t")
    with pytest.raises(NotFoundError):
        await assign_rules.remove_rule(env.db, "zzz", actor="t")
    with pytest.raises(InputError):
        await assign_rules.move_rule(env.db, "b", 0, actor="t")


async def test_agent_hours_away_absences_and_capacity_show_in_the_status(env: Env) -> None:
    teams = env.assigner.teams
    hours = assign_agents.parse_hours("mon-fri=09:00-12:00, 13:00-18:00; sat=10:00-14:00")
    assert hours == {"mon-fri": "09:00-12:00, 13:00-18:00", "sat": "10:00-14:00"}
    await assign_agents.set_hours(
        env.db, teams, "anna", {"hours": hours, "timezone": "Asia/Shanghai"}, actor="t"
    )
    # Saturday 2026-06-06 11:00 Shanghai: anna works; bo is away; cy is out of office
    at = datetime(2026, 6, 6, 3, tzinfo=UTC)
    await assign_agents.set_away(env.db, "bo", True, actor="t")
    absence = await assign_agents.add_absence(
        env.db, "cy", at - timedelta(days=1), at + timedelta(days=2), note="trade fair", actor="t"
    )
    await assign_agents.set_capacity(env.db, "anna", 10, actor="t")
    with clock.frozen(at):
        status = {s.name: s for s in await assign_agents.agent_status(env.db, teams, at)}
        assert [a.id for a in await assign_agents.list_absences(env.db, "cy")] == [absence.id]
    assert status["anna"].available and status["anna"].capacity == 10
    assert status["anna"].hours["timezone"] == "Asia/Shanghai"
    assert (status["bo"].reason, status["bo"].back_at) == ("away", None)
    assert (status["cy"].reason, status["cy"].back_at) == ("out_of_office", at + timedelta(days=2))

    later = (await assign_agents.agent_status(env.db, teams, at + timedelta(hours=5), names=["anna"]))[0]
    assert later.reason == "off_hours"  # 16:00 on a Saturday in Shanghai
    assert later.back_at == datetime(2026, 6, 8, 1, tzinfo=UTC)  # Monday 09:00 Shanghai

    await assign_agents.remove_absence(env.db, absence.id, actor="t")
    await assign_agents.set_hours(env.db, teams, "anna", None, actor="t")
    assert (await assign_agents.agent_status(env.db, teams, at, names=["anna"]))[0].hours[
        "timezone"
    ] == "Europe/Berlin"
    async with env.db.session() as session:
        actions = list(
            await session.scalars(select(AuditEvent.action).where(AuditEvent.target == "agent:anna"))
        )
    assert actions == ["inbox.agent_hours", "inbox.agent_capacity", "inbox.agent_hours"]


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-12-24", False, datetime(2026, 12, 23, 23, tzinfo=UTC)),  # midnight in Berlin
        ("2026-12-28", True, datetime(2026, 12, 28, 23, tzinfo=UTC)),  # the whole 28th
        ("2026-12-24T14:00", False, datetime(2026, 12, 24, 13, tzinfo=UTC)),
        ("2026-12-24T14:00+08:00", False, datetime(2026, 12, 24, 6, tzinfo=UTC)),
    ],
)
def test_out_of_office_times_are_read_in_the_agents_zone(text: str, end: bool, expected: datetime) -> None:
    assert assign_agents.parse_when(text, "Europe/Berlin", end=end) == expected


@pytest.mark.parametrize("text", ["", "mon-fri", "09:00-18:00", "mon-fri=9-18", "someday=09:00-10:00"])
def test_bad_working_hours_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        assign_agents.parse_hours(text)


async def test_availability_settings_refuse_what_cannot_be(env: Env) -> None:
    teams = env.assigner.teams
    now = clock.now()
    with pytest.raises(InputError):
        await assign_agents.add_absence(env.db, "anna", now, now, actor="t")
    with pytest.raises(InputError):
        await assign_agents.set_capacity(env.db, "anna", -1, actor="t")
    with pytest.raises(InputError):
        await assign_agents.set_hours(env.db, teams, "anna", {"timezone": "Mars/Olympus"}, actor="t")
    with pytest.raises(InputError):
        await assign_agents.set_hours(env.db, teams, "anna", {"colour": "blue"}, actor="t")
    with pytest.raises(NotFoundError):
        await assign_agents.set_away(env.db, "nobody", True, actor="t")
    with pytest.raises(NotFoundError):
        await assign_agents.remove_absence(env.db, 12345, actor="t")
    assert await assign_agents.set_away(env.db, "anna", False, actor="t") is False  # no change
