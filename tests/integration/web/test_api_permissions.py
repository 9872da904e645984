"""Permissions: every API route, walked as a caller without rights to the mailbox, gives away nothing.

The walk reads the routes from the application's OpenAPI schema, so a route added later is walked too; a
route that takes a body must have a sample body here (the test fails until it has one), so that it is
walked with a request that would otherwise succeed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from mailwarden.access import principals
from mailwarden.access.service import add_agent
from mailwarden.audit.models import AuditEvent
from mailwarden.core.secrets import create_key_file
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import canned, notes, service, tags
from mailwarden.inbox import reply as reply_service
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.ingest import ingest, load_team
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.inbox.teams import Teams
from mailwarden.web.app import create_app
from mailwarden.workers.service import placed_hook

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail

SECRET_WORDS = ("LED panels", "weber-gmbh", "anna@", "sales@example.test", "Solar lamps")
#: GET routes whose answer for a caller WITH rights holds no sales words (numbers only): checked by
#: comparing the numbers a caller without rights gets with nothing
NUMBERS_ONLY = {"/api/v1/metrics", "/api/v1/tags", "/api/v1/me"}


class World:
    def __init__(self, db: Database, app: Any, tokens: dict[str, str], ids: dict[str, Any]) -> None:
        self.db, self.app, self.tokens, self.ids = db, app, tokens, ids

    def client(self, who: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)

    def url(self, path: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(self.ids[m.group(1)]), path)

    def body(self, method: str, path: str) -> dict[str, Any] | None:
        """A request body that succeeds for a caller with rights (the walk fails on a route without one)."""
        ids = self.ids
        bodies: dict[tuple[str, str], dict[str, Any]] = {
            ("POST", "/api/v1/conversations/{ident}/assign"): {"agent": "alice"},
            ("POST", "/api/v1/conversations/{ident}/status"): {"status": "pending"},
            ("POST", "/api/v1/conversations/{ident}/priority"): {"priority": "high"},
            ("POST", "/api/v1/conversations/{ident}/presence"): {"state": "viewing"},
            ("POST", "/api/v1/conversations/{ident}/replies"): {
                "body_text": "Our price is USD 12.",
                "confirm": True,
            },
            ("POST", "/api/v1/outgoing/{outgoing_id}/retry"): {},
            ("POST", "/api/v1/conversations/{ident}/notes"): {"text": "@alice call them back"},
            ("PUT", "/api/v1/notes/{note_id}"): {"text": "@alice call them back today"},
            ("POST", "/api/v1/conversations/{ident}/tags"): {"add": ["urgent"], "remove": ["vip"]},
            ("POST", "/api/v1/canned"): {"name": "bye", "body": "Regards, {agent_name}", "mailbox": "sales"},
            ("POST", "/api/v1/conversations/{ident}/merge"): {"from": str(ids["other"])},
            ("POST", "/api/v1/conversations/{ident}/split"): {"message_ids": [ids["split_message"]]},
            ("POST", "/api/v1/contacts/merge"): {"into": ids["anna"], "from": ids["anna2"]},
        }
        if method == "GET":
            return None
        found = bodies.get((method, path))
        if found is None:
            pytest.fail(f"{method} {path} has no sample body in World.body: add one so the walk can test it")
        return found


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    create_key_file(tmp_path / "secret.key")
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "archive": {"dir": str(tmp_path)},
            "inbox": {"teams": {"sales": {"mailboxes": ["sales"], "assign": "manual"}}},
        }
    )
    sales = await FilledArchive.create(db, tmp_path)
    info = await FilledArchive.create(db, tmp_path, name="info", address="info@example.test")
    await sales.add(
        mail("LED panels", message_id="a1@weber", at=later(0)),
        mail("Re: LED panels", message_id="a2@weber", in_reply_to="a1@weber", at=later(5)),
        mail("Solar lamps", sender="Anna Weber <a.weber@weber-gmbh.de>", message_id="b1@weber", at=later(10)),
    )
    await info.add(mail("Question", sender="eve@shop.it", to="info@example.test", message_id="e1@shop"))
    for name in ("alice", "bob"):
        await add_agent(db, name, f"{name}@example.test")
    on_placed = placed_hook(Assigner(Teams(settings.inbox)))
    await ingest(db, sales.store, await load_team(db, [TOKEN_KEY]), on_placed=on_placed)
    await principals.grant(db, "alice", "sales", "manage")
    await principals.grant(db, "bob", "info", "manage")  # rights elsewhere: still nothing of sales
    tokens = {
        "alice": (await principals.create_token(db, "alice-laptop", agent="alice"))[1],
        "bob": (await principals.create_token(db, "bob-laptop", agent="bob"))[1],
    }
    listed = {c.subject: c for c in (await service.list_conversations(db, mailbox="sales")).items}
    led, other = listed["LED panels"], listed["Solar lamps"]
    view = await service.show_conversation(db, led.id)
    written = await notes.add_note(db, led.id, "@alice please quote LED panels", author="alice")
    await tags.change_tags(db, led.id, add=["vip"], actor="agent:alice")
    await canned.add_canned(db, "thanks", "Dear {customer_name}, thanks for the LED panels inquiry.",
                            mailbox="sales", actor="agent:alice")  # fmt: skip
    queued = await reply_service.reply(db, settings, led.id, agent="alice", body_text="Quote follows.")
    async with db.session() as session, session.begin():  # as the worker leaves a refused reply
        await session.execute(update(Outgoing).where(Outgoing.id == queued.id).values(state="failed"))
    other_view = await service.show_conversation(db, other.id)
    assert view.contact is not None and other_view.contact is not None
    ids = {
        "ident": led.id, "other": other.id, "outgoing_id": queued.id, "note_id": written.note.id,
        "name": "thanks", "split_message": view.messages[-1].id, "anna": view.contact.id,
        "anna2": other_view.contact.id, "uid": led.uid,
    }  # fmt: skip
    return World(db, create_app(settings, db), tokens, ids)


def _routes(app: Any) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI schema: the API's published surface."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        found.extend((method.upper(), path) for method in sorted(operations) if path.startswith("/api/"))
    return found


async def _call(client: httpx.AsyncClient, world: World, method: str, path: str) -> httpx.Response:
    return await client.request(method, world.url(path), json=world.body(method, path))


async def test_every_route_refuses_a_caller_without_a_token(world: World) -> None:
    routes = _routes(world.app)
    assert len(routes) >= 25
    async with world.client(None) as anonymous:
        for method, path in routes:
            answer = await _call(anonymous, world, method, path)
            assert answer.status_code == 401, (method, path, answer.text)
        forged = await anonymous.get("/api/v1/conversations", headers={"Authorization": "Bearer mw_abc_def"})
        assert forged.status_code == 401


def _numbers(data: Any) -> list[float]:
    if isinstance(data, dict):
        return [n for key, value in data.items() if key not in ("id",) for n in _numbers(value)]
    if isinstance(data, list):
        return [n for value in data for n in _numbers(value)]
    return [data] if isinstance(data, int | float) and not isinstance(data, bool) and data else []


async def test_every_route_gives_nothing_of_a_mailbox_without_rights(world: World) -> None:
    """Bob holds ``manage`` in info@ and nothing in sales@: every route, with a request that succeeds for
    alice (checked after), answers him "not found" or an empty answer, never a word of sales@."""
    secrets = (*SECRET_WORDS, str(world.ids["uid"]))
    routes = _routes(world.app)
    async with world.client("bob") as bob, world.client("alice") as alice:
        for method, path in routes:
            answer = await _call(bob, world, method, path)
            assert answer.status_code in (200, 404), (method, path, answer.status_code, answer.text)
            for word in secrets:
                assert word not in answer.text, (method, path, word)
            if path in NUMBERS_ONLY and path != "/api/v1/me":
                assert _numbers(answer.json()) == [], (path, answer.text)
        reads_first = sorted(routes, key=lambda route: route[0] != "GET")  # before the writes change things
        for method, path in reads_first:  # the same requests with rights do succeed: the walk can fail
            allowed = await _call(alice, world, method, path)
            assert allowed.status_code < 300, (method, path, allowed.status_code, allowed.text)
            if method == "GET" and path not in NUMBERS_ONLY:
                assert any(w in allowed.text for w in secrets), (path, allowed.text[:300])
            if path in NUMBERS_ONLY and path != "/api/v1/me":
                assert _numbers(allowed.json()), (path, allowed.text)


async def test_a_revoked_token_is_refused(world: World) -> None:
    async with world.client("alice") as alice:
        assert (await alice.get("/api/v1/conversations")).status_code == 200
        await principals.revoke_token(world.db, "alice-laptop")
        refused = await alice.get("/api/v1/conversations")
    assert refused.status_code == 401
    assert refused.json()["error"]["key"] == "access.unauthenticated"


async def test_lists_are_paged_with_a_next_link(world: World) -> None:
    async with world.client("alice") as alice:
        first = (await alice.get("/api/v1/conversations", params={"limit": 1})).json()
        assert first["total"] == 2 and len(first["items"]) == 1 and first["next"]
        second = (await alice.get(first["next"])).json()
        assert second["next"] is None and second["items"][0]["id"] != first["items"][0]["id"]


async def test_a_view_is_audited_and_errors_speak_the_callers_language(world: World) -> None:
    async with world.client("alice") as alice:
        await alice.get(f"/api/v1/conversations/{world.ids['ident']}")
        missing = await alice.get(
            "/api/v1/conversations/999999", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
        )
    assert missing.status_code == 404 and "会话" in missing.json()["error"]["message"]
    async with world.db.session() as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.chain == "inbox")))
    assert "inbox.viewed" in actions


async def test_an_operator_token_sees_all_but_cannot_reply_as_nobody(world: World) -> None:
    _, token = await principals.create_token(world.db, "ops", admin=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.app), base_url="http://api",
        headers={"Authorization": f"Bearer {token}"},
    ) as ops:  # fmt: skip
        listed = (await ops.get("/api/v1/conversations")).json()
        assert listed["total"] == 3  # sales and info
        refused = await ops.post(
            f"/api/v1/conversations/{world.ids['ident']}/replies", json={"body_text": "x"}
        )
    assert refused.status_code == 403 and refused.json()["error"]["key"] == "access.needs_agent"
