"""``mailwarden inbox assign|rule|owner|away|capacity|ooo|agent-hours|agent-status|assign-waiting``, run as
a user runs them, on conversations the real ingest made."""

from __future__ import annotations

from typing import Any

from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.inbox.ingest import ingest, load_team

from cli_runner import CLI, Result
from inbox_archive import TOKEN_KEY, mail
from inbox_assign_env import Env

TEAM = """
[inbox.teams.sales]
hours = { timezone = "UTC", hours = { "mon-sun" = "00:00-24:00" } }
"""


def ok(result: Result) -> Any:
    assert result.code == 0, result.output
    data = result.json
    assert data["ok"] is True
    return data


async def test_the_assignment_commands(ready_cli: CLI) -> None:
    cli = ready_cli
    cli.config.write_text(cli.config.read_text() + TEAM)
    # GIVEN two agents and two conversations, made in-process (the commands under test are the CLI's)
    async with Database(f"sqlite:///{cli.root / 'data' / 'mailwarden.db'}") as db:
        await upgrade(db)
        env = await Env.create(db, cli.root / "data" / "archive", agents=("anna", "bo"))
        await env.archive.add(mail("Price list"), mail("Samples", sender="John <john@acme.co.uk>"))
        await ingest(db, env.archive.store, await load_team(db, [TOKEN_KEY]))
        price = str((await env.conversation("Price list")).id)
        await db.dispose()

    assigned = ok(cli("inbox", "assign", price, "anna", "--json"))
    assert (assigned["agent"], assigned["why"]) == ("anna", {"step": "manual"})
    missing = cli("inbox", "assign", price, "nobody", "--json")
    assert missing.code == 2 and missing.json["error"]["key"] == "agent.not_found"

    ok(cli("inbox", "owner", "set", "bo", "--contact", "john@acme.co.uk", "--json"))
    owners = ok(cli("inbox", "owner", "list", "--json"))["owners"]
    assert {(o["kind"], o["party"], o["agent"], o["source"]) for o in owners} == {
        ("company", "weber-gmbh.de", "anna", "answered"),  # the manual assignment made anna the owner
        ("contact", "anna@weber-gmbh.de", "anna", "answered"),
        ("contact", "john@acme.co.uk", "bo", "manual"),
    }

    ok(cli("inbox", "rule", "add", "rfq", "--agent", "bo", "--keyword", "报价", "--country", "cn", "--json"))
    de = ("de", "--agent", "anna", "--agent", "bo", "--country", "DE", "--position", "1", "--json")
    ok(cli("inbox", "rule", "add", *de))
    table = cli("inbox", "rule", "list")
    assert table.code == 0 and table.stdout.index("de") < table.stdout.index("country=CN keyword=报价")

    ok(cli("inbox", "agent-hours", "anna", "mon-fri=08:00-16:00", "--timezone", "Asia/Shanghai", "--json"))
    duty = ok(cli("inbox", "agent-hours", "bo", "mon-sun=00:00-24:00", "--country", "none", "--json"))
    assert duty["hours"] == {"hours": {"mon-sun": "00:00-24:00"}, "country": ""}  # no holidays either
    ok(cli("inbox", "capacity", "anna", "5", "--json"))
    absence = ok(cli("inbox", "ooo", "bo", "2030-01-01", "2030-01-05", "--note", "holiday", "--json"))[
        "absence"
    ]
    assert (absence["starts_at"], absence["ends_at"]) == (
        "2029-12-31T23:00:00+00:00",
        "2030-01-05T23:00:00+00:00",
    )

    ok(cli("inbox", "away", "bo", "on", "--json"))
    status = {s["name"]: s for s in ok(cli("inbox", "agent-status", "--json"))["agents"]}
    assert (status["bo"]["available"], status["bo"]["reason"]) == (False, "away")
    assert (status["anna"]["capacity"], status["anna"]["open"]) == (5, 1)
    assert (
        status["anna"]["hours"]["hours"]["mon"] == "08:00-16:00"
        and "sat" not in status["anna"]["hours"]["hours"]
    )

    assert ok(cli("inbox", "assign", price, "--unassign", "--json"))["queued"] is True
    assert [q["subject"] for q in ok(cli("inbox", "queue", "--json"))["queue"]] == ["Price list"]
    ran = ok(cli("inbox", "away", "bo", "off", "--json"))  # bo is back: the queue is tried at once
    assert ran["assigned"] == 1
