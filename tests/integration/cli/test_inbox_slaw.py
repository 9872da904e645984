"""``mailwarden inbox status|priority|metrics`` as a user runs them: exit codes, JSON, both languages (the
service's checks one by one are in tests/integration/inbox/test_inbox_slaw_status.py).

The conversation is put in the CLI's own database by the real ingest (with the status hook) from an
archive filled as sync fills it; the team is configured in the CLI's mailwarden.toml."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mailwarden.db.engine import Database

from cli_runner import CLI
from inbox_archive import FilledArchive, mail
from inbox_slaw_env import arrive, cst, ingest_with_hook

TEAM = """
[inbox.teams.sales]
mailboxes = ["sales"]
hours = { timezone = "Asia/Shanghai", country = "CN", hours = { "mon-fri" = "09:00-12:00, 13:30-18:00" } }
sla = { first_response = "8h", next_response = "4h" }
"""


async def _seed(root: Path) -> None:
    db = Database(f"sqlite:///{root / 'data' / 'mailwarden.db'}")
    try:
        archive = await FilledArchive.create(db, root / "seed")
        await arrive(
            archive, mail("LED panels", message_id="q1@weber", at=cst(2026, 3, 2, 9)), cst(2026, 3, 2, 9)
        )
        reply = mail(
            "Re: LED panels", sender="Sales <sales@example.test>", to="anna@weber-gmbh.de",
            message_id="r1@example.test", in_reply_to="q1@weber", at=cst(2026, 3, 2, 10),
        )  # fmt: skip
        await arrive(archive, reply, cst(2026, 3, 2, 10), folder="Sent")
        await ingest_with_hook(archive)
    finally:
        await db.dispose()


@pytest.fixture
def inbox_cli(ready_cli: CLI) -> CLI:
    ready_cli.config.write_text(ready_cli.config.read_text() + TEAM)
    asyncio.run(_seed(ready_cli.root))
    return ready_cli


def test_status_priority_and_metrics(inbox_cli: CLI) -> None:
    cli = inbox_cli
    needs_until = cli("inbox", "status", "1", "snoozed", "--json")
    assert needs_until.code == 2 and needs_until.json["error"]["key"] == "inbox.slaw.snooze_needs_until"
    naive = cli("inbox", "status", "1", "snoozed", "--until", "2099-01-01T09:00", "--lang", "zh-CN")
    assert naive.code == 2 and "时区" in naive.stderr

    snoozed = cli("inbox", "status", "1", "snoozed", "--until", "2099-01-01T09:00+08:00", "--json")
    assert snoozed.code == 0, snoozed.output
    assert (snoozed.json["previous"], snoozed.json["status"]) == ("pending", "snoozed")
    assert snoozed.json["snoozed_until"] == "2099-01-01T01:00:00+00:00"
    closed = cli("inbox", "status", "1", "closed")
    assert closed.code == 0 and "snoozed → closed" in closed.stdout
    again = cli("inbox", "status", "1", "closed", "--json")
    assert again.json["changed"] is False

    clock = cli("inbox", "sla", "1", "--json")
    assert clock.code == 0, clock.output
    [first] = clock.json["sla"]["cycles"]
    assert (first["clock"], first["outcome"], first["elapsed_seconds"]) == ("first_response", "met", 3600.0)
    assert first["due_at"] == "2026-03-03T01:30:00+00:00"  # Mon 09:00 + 7.5 h, Tue 09:00 + 0.5 h (Shanghai)
    shown = cli("inbox", "sla", "1", "--lang", "zh-CN")
    assert shown.code == 0 and "首次回复：已达成" in shown.stdout

    urgent = cli("inbox", "priority", "1", "urgent", "--lang", "zh-CN")
    assert urgent.code == 0 and "优先级 normal → urgent" in urgent.stdout

    metrics = cli("inbox", "metrics", "--json")
    assert metrics.code == 0, metrics.output
    [team, agent, week] = metrics.json["first_response"]
    assert (team["scope"], team["count"], team["median_seconds"]) == ("team", 1, 3600.0)
    assert (agent["name"], week["name"]) == (None, "2026-W10")
    assert metrics.json["attainment"][0]["share"] == 1.0
    shown = cli("inbox", "metrics", "--lang", "zh-CN", "--since", "2026-03-01")
    assert shown.code == 0 and "首次回复时间" in shown.stdout and "1h00m" in shown.stdout
    assert cli("inbox", "metrics", "--since", "March").code == 2
