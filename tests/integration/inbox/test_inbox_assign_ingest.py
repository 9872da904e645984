"""Assignment as the ingest opens conversations: the real ingest of archived messages with the hook."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.audit.service import verify_chain
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.inbox import assign_agents, assign_rules, events
from mailwarden.inbox.assign_queue import list_queue
from mailwarden.inbox.models_assign import AssignQueue

from inbox_archive import START, later, mail
from inbox_assign_env import Env

OFFICE = {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}


@pytest.fixture
async def env(db: Database, tmp_path: Path) -> Env:
    return await Env.create(db, tmp_path)


async def test_each_new_inquiry_is_assigned_with_an_event_and_an_alert_and_nothing_else_is(env: Env) -> None:
    first = mail("Price list", message_id="a@weber")
    await env.ingest(
        first,
        mail("Samples", sender="John Smith <john@acme.co.uk>"),
        mail("询价", sender="Li Wei <li@shanghai-trade.cn>", body="您好，请报价。\n"),
        mail("Out of office", sender="bob@other.example", headers={"Auto-Submitted": "auto-replied"}),
        mail("Re: Price list", in_reply_to="a@weber", references=["a@weber"], at=later(30)),
    )
    await env.ingest(mail("Our offer", sender="sales@example.test", to="new@newco.de"), folder="Sent")

    assigned = await env.assignees()
    assert set(assigned) == {"Price list", "Samples", "询价", "Our offer"}  # the auto-reply opened nothing
    assert assigned["Our offer"] is None  # our own first mail: no inquiry to assign
    assert sorted(n for s, n in assigned.items() if s != "Our offer") == ["anna", "bo", "cy"]  # round robin

    rows = await env.events()
    assert len(rows) == 3
    assert {row.actor for row in rows} == {events.system_actor("assign")}
    assert all(row.detail["why"]["step"] == "round_robin" and row.detail["previous"] is None for row in rows)

    outbox = await env.outbox()
    assert len(outbox) == 3
    price = await env.conversation("Price list")
    alert = next(item.alert for item in outbox if item.alert_key == f"inquiry/{price.uid}")
    owner = assigned["Price list"]
    assert alert["kind"] == "inquiry.new"
    assert alert["params"]["assignee"] == owner and alert["params"]["company"] == "weber-gmbh.de"
    assert alert["params"]["customer"] == "Anna Weber <anna@weber-gmbh.de>"
    assert alert["mentions"][0]["name"] == owner and alert["mentions"][0]["ids"] == {"feishu": f"ou_{owner}"}
    async with env.db.session() as session:
        assert (await verify_chain(session, events.CHAIN)).ok


async def test_the_company_owner_gets_the_companys_next_inquiry(env: Env) -> None:
    await env.ingest(mail("First order"))
    first = await env.conversation("First order")
    await env.assigner.reassign(env.db, first.id, "cy", actor="agent:cy")  # cy answers for the company

    await env.ingest(mail("Second order", sender="Max Weber <max@weber-gmbh.de>"))  # a colleague of Anna's
    assert (await env.assignees())["Second order"] == "cy"
    last = (await env.events())[-1]
    assert last.detail["why"] == {"step": "sticky", "owner_of": "company", "skipped": []}


async def test_an_agent_answering_from_their_own_address_becomes_the_owner(env: Env) -> None:
    await env.ingest(mail("First order", message_id="first@weber"))
    answer = mail(
        "Re: First order", sender="Bo <BO@example.test>", to="anna@weber-gmbh.de", cc="sales@example.test",
        in_reply_to="first@weber", at=later(20),
    )  # fmt: skip
    await env.ingest(answer)  # delivered to sales@ through the Cc
    await env.ingest(mail("Second order", sender="Max Weber <max@weber-gmbh.de>", at=later(60)))
    assert (await env.assignees())["Second order"] == "bo"
    assert (await env.events())[-1].detail["why"]["step"] == "sticky"


async def test_an_away_owner_falls_through_and_the_why_says_so(env: Env) -> None:
    await env.ingest(mail("First order"))
    await env.assigner.reassign(env.db, (await env.conversation("First order")).id, "cy", actor="agent:cy")
    await assign_agents.set_away(env.db, "cy", True, actor="agent:cy")

    await env.ingest(mail("Second order", sender="Max Weber <max@weber-gmbh.de>"))
    assert (await env.assignees())["Second order"] in {"anna", "bo"}
    why = (await env.events())[-1].detail["why"]
    assert why["step"] == "round_robin"
    assert why["skipped"][0] == {"step": "sticky", "owner_of": "company", "agent": "cy", "reason": "away"}


async def test_rules_route_by_keyword_country_language_and_mailbox(env: Env) -> None:
    await assign_rules.add_rule(env.db, "rfq", ["bo"], keywords=["报价", "quotation"], actor="t")
    await assign_rules.add_rule(env.db, "germany", ["anna"], countries=["DE"], mailboxes=["sales"], actor="t")
    await assign_rules.add_rule(env.db, "french", ["cy"], languages=["fr"], actor="t")
    await env.ingest(
        mail("Hello", sender="Li Wei <li@shanghai-trade.cn>", body="您好，请报价单发给我们。谢谢\n"),
        mail("Order", sender="Jens <jens@kunde.de>", body="Wir bestellen 500 Stück.\n"),
        mail(
            "Commande",
            sender="Marie <marie@client.example>",
            body="Bonjour, nous voudrions commander des pièces, merci de nous envoyer le prix.\n",
        ),
        mail("Quotation for 500 pcs", sender="Jens <jens2@kunde.de>"),  # rfq comes first, though German
    )
    assigned = await env.assignees()
    assert assigned == {"Hello": "bo", "Order": "anna", "Commande": "cy", "Quotation for 500 pcs": "bo"}
    rules = [row.detail["why"].get("rule") for row in await env.events()]
    assert rules == ["rfq", "germany", "french", "rfq"]


async def test_round_robin_is_fair_and_survives_restarts(env: Env, tmp_path: Path) -> None:
    order: list[str | None] = []
    for n in range(12):
        restarted = Database(str(env.db.url))  # a new engine: nothing is remembered in memory
        await env.ingest(mail(f"Inquiry {n}", sender=f"buyer{n}@company{n}.example"), db=restarted)
        await restarted.dispose()
        order.append((await env.assignees())[f"Inquiry {n}"])
    assert Counter(order) == {"anna": 4, "bo": 4, "cy": 4}
    assert order[3:] == order[:9]  # the same cycle, every time round


async def test_least_loaded_fills_the_emptiest_desk(env: Env) -> None:
    env.assigner = env.with_team(assign="least_loaded")
    await env.ingest(*(mail(f"Old {n}", sender=f"old{n}@old{n}.example") for n in range(3)))
    for n in range(3):
        await env.assigner.reassign(env.db, (await env.conversation(f"Old {n}")).id, "anna", actor="t")
    await env.ingest(*(mail(f"New {n}", sender=f"new{n}@new{n}.example") for n in range(4)))
    got = Counter(name for subject, name in (await env.assignees()).items() if subject.startswith("New"))
    assert got == {"bo": 2, "cy": 2}  # anna holds 3 already


async def test_capacity_and_out_of_office_are_respected(env: Env) -> None:
    await assign_agents.set_capacity(env.db, "anna", 1, actor="t")
    now = clock.now()
    await assign_agents.add_absence(
        env.db, "bo", now - timedelta(hours=1), now + timedelta(days=1), actor="t"
    )
    await env.ingest(*(mail(f"Inquiry {n}", sender=f"b{n}@c{n}.example") for n in range(5)))
    got = Counter((await env.assignees()).values())
    assert got == {"anna": 1, "cy": 4}


async def test_off_hours_queue_then_the_queue_is_assigned_when_someone_starts_work(
    db: Database, tmp_path: Path
) -> None:
    # Monday 2026-06-01 20:00 UTC: the office (09:00-17:00, in each agent's zone: Berlin) is closed
    with clock.frozen(datetime(2026, 6, 1, 20, tzinfo=UTC)) as frozen:
        env = await Env.create(db, tmp_path, hours=OFFICE)
        await env.ingest(mail("Night inquiry", at=START))
        conversation = await env.conversation("Night inquiry")
        assert conversation.assignee_id is None
        queued = await env.events("queued")
        assert len(queued) == 1 and queued[0].detail["why"]["back_at"] == "2026-06-02T07:00:00+00:00"
        assert {s["reason"] for s in queued[0].detail["why"]["skipped"]} == {"off_hours"}
        [alert] = await env.outbox()  # the inquiry is announced, naming nobody
        assert "assignee" not in alert.alert["params"] and alert.alert["mentions"] == []

        frozen.advance(timedelta(minutes=30))
        waiting = await env.assigner.assign_waiting(db)
        assert waiting.assigned == [] and waiting.still_queued == 1
        assert waiting.back_at == datetime(2026, 6, 2, 7, tzinfo=UTC)  # 09:00 in Berlin (CEST)

        frozen.set(waiting.back_at)
        waiting = await env.assigner.assign_waiting(db)
        assert [a.conversation_id for a in waiting.assigned] == [conversation.id] and waiting.back_at is None
        async with db.session() as session:
            assert list(await session.scalars(select(AssignQueue))) == []
        agent = waiting.assigned[0].agent
        [event] = await env.events()
        assert event.detail["agent"] == agent and event.detail["why"]["step"] == "round_robin"
        assert len(await env.outbox()) == 2  # and the assignee is told


async def test_the_queue_is_served_first_come_first_served_as_people_come_back(
    db: Database, tmp_path: Path
) -> None:
    env = await Env.create(db, tmp_path, agents=("anna", "bo"))
    for name in ("anna", "bo"):
        await assign_agents.set_away(db, name, True, actor="t")
    await env.ingest(*(mail(f"Waiting {n}", sender=f"w{n}@w{n}.example") for n in range(3)))
    assert set((await env.assignees()).values()) == {None}
    first = await env.assigner.assign_waiting(db)
    assert first.back_at is None and first.still_queued == 3  # all away: nobody is expected by the clock
    listed = await list_queue(db)
    assert [q.subject for q in listed] == ["Waiting 0", "Waiting 1", "Waiting 2"]
    assert {s["reason"] for s in listed[0].why["skipped"]} == {"away"} and listed[0].retry_at is None
    assert await list_queue(db, mailbox_ids=[listed[0].conversation_id + 100]) == []

    await assign_agents.set_capacity(db, "anna", 2, actor="t")
    await assign_agents.set_away(db, "anna", False, actor="t")
    done = await env.assigner.assign_waiting(db)
    assert [a.agent for a in done.assigned] == ["anna", "anna"] and done.still_queued == 1
    assigned = await env.assignees()
    assert assigned["Waiting 0"] == assigned["Waiting 1"] == "anna" and assigned["Waiting 2"] is None
