"""Metrics from the tables, checked against numbers worked out by hand, on SQLite and PostgreSQL.

The Shanghai team (Mon-Fri 09:00-12:00, 13:30-18:00; first response 8 h), two weeks of March 2026 (no
Chinese holiday in them), the metrics taken Wed 03-11 12:00 Shanghai:

====  ===========================  ==========================  ============================  =========
conv  customer wrote (Shanghai)    we replied                  first response, business      outcome
====  ===========================  ==========================  ============================  =========
C1    Mon 03-02 09:00 (W10), li    Mon 10:00                   1 h                           met
C2    Mon 03-02 17:00 (W10), wang  Tue 03-03 10:00             17-18 + 09-10 = 2 h           met
C3    Mon 03-02 09:00 (W10), li    Wed 03-04 09:00             7.5 + 7.5 = 15 h              breached
C4    Mon 03-09 07:00 (W11), li    Mon 14:30                   09-12 + 13:30-14:30 = 4 h     met
C5    Tue 03-10 09:00 (W11)        —  (open)                   7.5 + 3 = 10.5 h by now       breached
C6    Wed 03-11 11:30 (W11)        —  (open)                   0.5 h by now                  running
====  ===========================  ==========================  ============================  =========

First response, team: 1, 2, 4, 15 h -> median 3 h, p90 (nearest rank: the 4th of 4) 15 h.
li: 1, 4, 15 h -> median 4 h, p90 15 h; wang: 2 h. W10: 1, 2, 15 -> median 2 h, p90 15 h; W11: 4 h.
Attainment: met C1 C2 C4, breached C3 C5 -> 3/5; W10 2/3; W11 1/2 (C6 is not decided yet).
Backlog (open): C5 waited 27 h -> "1-3d"; C6 30 min -> "<1h". C1-C4 are pending (we answered).
C4's Monday 07:00 in Shanghai is Sunday 23:00 UTC: its week is W11 only in the team's time zone.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.core import clock
from mailwarden.core.errors import NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.metrics import compute_metrics, p90
from mailwarden.inbox.models import Conversation

from inbox_archive import FilledArchive, mail
from inbox_slaw_env import arrive, cst, ingest_with_hook, shanghai_teams

H = 3600.0
AT = cst(2026, 3, 11, 12)
TEAMS = shanghai_teams()
US = "Sales <sales@example.test>"
#: name -> (customer wrote, agent, we replied)
CASES: dict[str, tuple[datetime, str | None, datetime | None]] = {
    "C1": (cst(2026, 3, 2, 9), "li", cst(2026, 3, 2, 10)),
    "C2": (cst(2026, 3, 2, 17), "wang", cst(2026, 3, 3, 10)),
    "C3": (cst(2026, 3, 2, 9), "li", cst(2026, 3, 4, 9)),
    "C4": (cst(2026, 3, 9, 7), "li", cst(2026, 3, 9, 14, 30)),
    "C5": (cst(2026, 3, 10, 9), None, None),
    "C6": (cst(2026, 3, 11, 11, 30), None, None),
}


async def fill(archive: FilledArchive) -> None:
    for name, (wrote, _, replied) in CASES.items():
        sender = f"Buyer {name} <{name.lower()}@buyer-{name.lower()}.de>"
        await arrive(archive, mail(f"Inquiry {name}", sender=sender, message_id=f"{name}@b", at=wrote), wrote)
        if replied is not None:
            reply = mail(
                f"Re: Inquiry {name}", sender=US, to=f"{name.lower()}@buyer-{name.lower()}.de",
                message_id=f"r{name}@example.test", in_reply_to=f"{name}@b", references=[f"{name}@b"],
                at=replied,
            )  # fmt: skip
            await arrive(archive, reply, replied, folder="Sent")
    with clock.frozen(AT):
        await ingest_with_hook(archive)
    async with archive.db.session() as session, session.begin():
        for name, (wrote, agent, _) in CASES.items():
            conversation = await session.scalar(
                select(Conversation).where(Conversation.subject == f"Inquiry {name}")
            )
            assert conversation is not None
            if agent is not None:
                await events.record(
                    session, conversation, "assigned", actor="system:assign",
                    detail={"agent": agent, "previous": None, "why": "round_robin"},
                    at=wrote + timedelta(minutes=1),
                )  # fmt: skip


@pytest.fixture
async def filled(db: Database, tmp_path: Path) -> Database:
    archive = await FilledArchive.create(db, tmp_path)
    await fill(archive)
    return db


def _stats(metrics: dict[str, object]) -> dict[tuple[str, str | None], tuple[int, float, float]]:
    rows = metrics["first_response"]
    assert isinstance(rows, list)
    return {(r["scope"], r["name"]): (r["count"], r["median_seconds"], r["p90_seconds"]) for r in rows}


async def test_metrics_match_the_hand_computed_numbers(filled: Database) -> None:
    metrics = (await compute_metrics(filled, TEAMS, at=AT)).as_dict()
    assert metrics["conversations"] == 6
    assert _stats(metrics) == {
        ("team", "sales"): (4, 3 * H, 15 * H),
        ("agent", "li"): (3, 4 * H, 15 * H),
        ("agent", "wang"): (1, 2 * H, 2 * H),
        ("week", "2026-W10"): (3, 2 * H, 15 * H),
        ("week", "2026-W11"): (1, 4 * H, 4 * H),
    }
    assert [(a["week"], a["met"], a["breached"], a["share"]) for a in metrics["attainment"]] == [
        (None, 3, 2, 0.6),
        ("2026-W10", 2, 1, 2 / 3),
        ("2026-W11", 1, 1, 0.5),
    ]
    assert [(b["bucket"], b["count"]) for b in metrics["backlog"]] == [("<1h", 1), ("1-3d", 1)]


async def test_since_keeps_the_later_cycles_and_the_backlog(filled: Database) -> None:
    metrics = (await compute_metrics(filled, TEAMS, at=AT, since=date(2026, 3, 9))).as_dict()
    assert _stats(metrics) == {
        ("team", "sales"): (1, 4 * H, 4 * H),
        ("agent", "li"): (1, 4 * H, 4 * H),
        ("week", "2026-W11"): (1, 4 * H, 4 * H),
    }
    assert [(a["week"], a["met"], a["breached"]) for a in metrics["attainment"]] == [
        (None, 1, 1),
        ("2026-W11", 1, 1),
    ]
    assert len(metrics["backlog"]) == 2
    json.dumps(metrics)  # JSON-ready as it is


async def test_a_mailbox_outside_the_readers_rights_is_not_found(filled: Database) -> None:
    with pytest.raises(NotFoundError):
        await compute_metrics(filled, TEAMS, at=AT, mailbox="sales", mailbox_ids=[])
    with pytest.raises(NotFoundError):
        await compute_metrics(filled, TEAMS, at=AT, mailbox="nosuch")
    nothing = await compute_metrics(filled, TEAMS, at=AT, mailbox_ids=[])
    assert (nothing.conversations, nothing.first_response) == (0, [])


def test_p90_is_the_nearest_rank() -> None:
    assert p90([5.0]) == 5.0
    assert p90([float(n) for n in range(1, 11)]) == 9.0  # ceil(9.0) = 9th
    assert p90([float(n) for n in range(1, 12)]) == 10.0  # ceil(9.9) = 10th


async def test_the_agent_who_sent_the_reply_counts_not_the_assignee(filled: Database) -> None:
    """The reply queue's events name who sent C1's reply (zhang, helping out): li keeps C3 and C4 only."""
    async with filled.session() as session, session.begin():
        c1 = await session.scalar(select(Conversation).where(Conversation.subject == "Inquiry C1"))
        assert c1 is not None
        queued = {"outgoing_id": 7, "agent": "zhang"}
        await events.record(session, c1, "reply_queued", actor="agent:zhang", detail=queued)
        sent = {"outgoing_id": 7, "message_id": "<rC1@example.test>"}
        await events.record(session, c1, "reply_sent", actor="system:reply", detail=sent)
    stats = _stats((await compute_metrics(filled, TEAMS, at=AT)).as_dict())
    assert stats[("agent", "li")] == (2, 9.5 * H, 15 * H)
    assert stats[("agent", "zhang")] == (1, 1 * H, 1 * H)
