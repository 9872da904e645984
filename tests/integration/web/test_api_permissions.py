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

from mailwarden.access import principals
from mailwarden.access.service import add_agent
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import service
from mailwarden.inbox.ingest import ingest, load_team
from mailwarden.web.app import create_app

from inbox_archive import TOKEN_KEY, FilledArchive, later, mail

#: a request body per (method, path) that would succeed for a caller with rights
BODIES: dict[tuple[str, str], dict[str, Any]] = {}

SECRET_WORDS = ("LED panels", "weber-gmbh", "anna@", "sales@example.test", "Solar lamps")


class World:
    def __init__(
        self, db: Database, app: Any, tokens: dict[str, str], conversation: service.ConversationSummary
    ):
        self.db, self.app, self.tokens, self.conversation = db, app, tokens, conversation

    def client(self, who: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://api", headers=headers
        )


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> World:
    sales = await FilledArchive.create(db, tmp_path)
    info = await FilledArchive.create(db, tmp_path, name="info", address="info@example.test")
    await sales.add(
        mail("LED panels", message_id="a1@weber", at=later(0)),
        mail("Solar lamps", sender="bob@lumen.fr", message_id="b1@lumen", at=later(10)),
    )
    await info.add(mail("Question", sender="eve@shop.it", to="info@example.test", message_id="e1@shop"))
    await ingest(db, sales.store, await load_team(db, [TOKEN_KEY]))
    await add_agent(db, "alice", "alice@example.test")
    await add_agent(db, "bob", "bob@example.test")
    await principals.grant(db, "alice", "sales", "manage")
    await principals.grant(db, "bob", "info", "manage")  # rights elsewhere: still nothing of sales
    tokens = {
        "alice": (await principals.create_token(db, "alice-laptop", agent="alice"))[1],
        "bob": (await principals.create_token(db, "bob-laptop", agent="bob"))[1],
    }
    [led] = [
        c for c in (await service.list_conversations(db, mailbox="sales")).items if c.subject == "LED panels"
    ]
    return World(db, create_app(Settings(data_dir=tmp_path), db), tokens, led)


def _routes(app: Any) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI schema: the API's published surface."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        found.extend((method.upper(), path) for method in sorted(operations) if path.startswith("/api/"))
    return found


def _url(path: str, conversation: service.ConversationSummary) -> str:
    return re.sub(r"\{ident\}", str(conversation.id), path)


async def _call(client: httpx.AsyncClient, method: str, path: str, conversation: Any) -> httpx.Response:
    body = BODIES.get((method, path))
    if method != "GET" and body is None:
        pytest.fail(f"{method} {path} has no sample body in BODIES: add one so the walk can test it")
    return await client.request(method, _url(path, conversation), json=body)


async def test_every_route_refuses_a_caller_without_a_token(world: World) -> None:
    routes = _routes(world.app)
    assert len(routes) >= 5
    async with world.client(None) as anonymous:
        for method, path in routes:
            answer = await _call(anonymous, method, path, world.conversation)
            assert answer.status_code == 401, (method, path, answer.text)
        forged = await anonymous.get("/api/v1/conversations", headers={"Authorization": "Bearer mw_abc_def"})
        assert forged.status_code == 401


async def test_every_route_gives_nothing_of_a_mailbox_without_rights(world: World) -> None:
    async with world.client("bob") as bob, world.client("alice") as alice:
        for method, path in _routes(world.app):
            answer = await _call(bob, method, path, world.conversation)
            assert answer.status_code in (200, 403, 404), (method, path, answer.status_code, answer.text)
            for word in (*SECRET_WORDS, world.conversation.uid):
                assert word not in answer.text, (method, path, word)
            if method == "GET":  # the same request with rights does see the data: the walk can fail
                allowed = await _call(alice, method, path, world.conversation)
                assert allowed.status_code == 200, (method, path, allowed.text)
                if path != "/api/v1/me":
                    assert any(w in allowed.text for w in (*SECRET_WORDS, world.conversation.uid)), path


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
        await alice.get(f"/api/v1/conversations/{world.conversation.id}")
        missing = await alice.get(
            "/api/v1/conversations/999999", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
        )
    assert missing.status_code == 404 and "会话" in missing.json()["error"]["message"]
    from sqlalchemy import select

    from mailwarden.audit.models import AuditEvent

    async with world.db.session() as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.chain == "inbox")))
    assert "inbox.viewed" in actions
