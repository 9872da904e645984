"""``mailwarden demo --tour``: the scripted walk a newcomer would take, each step checked.

Steps run the real commands (``mailwarden archive verify``, ``archive search``, ``diagnose``) as child
processes on the demo's configuration, and the real API over HTTP with the demo's token, and show what
they printed. A step that does not see what it should fails the tour: the exit status is the verdict.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from email import message_from_bytes
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from mailwarden.db.engine import Database
from mailwarden.demo import corpus
from mailwarden.demo.stage import Stage
from mailwarden.demo.world import World
from mailwarden.inbox.assign_queue import QueuedConversation, list_queue
from mailwarden.notify.models import Channel, OutboxItem

if TYPE_CHECKING:
    from mailwarden.demo.run import Demo

__all__ = ["Tour"]

WAIT = 60.0  # seconds a step waits for the workers (they take one or two)


class StepFailed(Exception):
    pass


def _queued(entry: QueuedConversation) -> str:
    """``31: alice off_hours, bo away → 2026-11-30 01:00 UTC``: why nobody took a queued conversation."""
    skipped = entry.why.get("skipped") or []
    reasons = ", ".join(f"{s['agent']} {s.get('reason')}" for s in skipped if "agent" in s)
    back = f" → {entry.retry_at:%Y-%m-%d %H:%M} UTC" if entry.retry_at else ""
    return f"{entry.conversation_id}: {reasons or entry.why.get('mode', '?')}{back}"


class Tour:
    def __init__(self, demo: Demo, world: World, stage: Stage, db: Database, token: str) -> None:
        self.demo, self.world, self.stage, self.db = demo, world, stage, db
        self.api = httpx.AsyncClient(
            base_url=demo.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self.results: list[tuple[str, bool]] = []
        #: the live step's conversation and customer, which the reply step answers
        self.live_conversation: dict[str, Any] | None = None
        self.live_sender = ""

    def t(self, key: str, **params: object) -> str:
        return self.demo.t(key, **params)

    async def run(self) -> bool:
        steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("demo.step_verify", self.verify),
            ("demo.step_assigned", self.assigned),
            ("demo.step_search", self.search),
            ("demo.step_live", self.live),
            ("demo.step_diagnose", self.diagnose),
            ("demo.step_reply", self.reply),
        ]
        try:
            for number, (key, step) in enumerate(steps, 1):
                title = self.t(key)
                self.demo.say(f"\n── {number}/{len(steps)} {title}")
                try:
                    detail = await step()
                except StepFailed as exc:
                    self.demo.say(f"   ✗ {exc}")
                    self.results.append((title, False))
                else:
                    self.demo.say(f"   ✓ {detail}")
                    self.results.append((title, True))
        finally:
            await self.api.aclose()
        passed = sum(ok for _, ok in self.results)
        self.demo.say("\n" + self.t("demo.tour_result", passed=passed, total=len(self.results)))
        return passed == len(self.results)

    # -- helpers --------------------------------------------------------------------------------------
    async def command(self, *args: str) -> tuple[int, str]:
        """``mailwarden ARGS`` on the demo's configuration, its output shown indented."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
        env.update(MAILWARDEN_CONFIG=str(self.stage.config_file.resolve()), COLUMNS="110")
        self.demo.say("   $ mailwarden " + " ".join(args))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mailwarden", *args, "--lang", self.demo.options.lang,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        text = output.decode("utf-8", "replace")
        for line in text.rstrip().splitlines():
            self.demo.say("   │ " + line)
        return process.returncode or 0, text

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.api.get(path, params=params)
        if answer.status_code != 200:
            raise StepFailed(f"GET {path}: HTTP {answer.status_code} {answer.text[:200]}")
        return answer.json()

    async def conversations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = await self.get("/conversations", mailbox="sales", limit=100, offset=len(found))
            found += page["items"]
            if not page.get("next") or not page["items"]:
                return found

    async def eventually(self, check: Callable[[], Awaitable[Any]], what: str) -> Any:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.25)
        raise StepFailed(self.t("demo.timed_out", what=what, seconds=int(WAIT)))

    # -- the steps ------------------------------------------------------------------------------------
    async def verify(self) -> str:
        code, _ = await self.command("archive", "verify", "sales")
        if code != 0:
            raise StepFailed(self.t("demo.failed_command", code=code))
        return self.t("demo.verified")

    async def assigned(self) -> str:
        items = await self.conversations()
        inquiries = [c for c in items if c.get("last_customer_at")]  # not opened by our own mail
        unassigned = [c["id"] for c in inquiries if not c.get("assignee")]
        if not items or unassigned:
            queued = await list_queue(self.db)
            why = "; ".join(_queued(entry) for entry in queued[:3])
            raise StepFailed(
                self.t("demo.unassigned", total=len(items), ids=unassigned[:10], queue=why or "-")
            )
        agents = sorted({c["assignee"] for c in inquiries if c.get("assignee")})
        return self.t("demo.all_assigned", total=len(inquiries), agents=", ".join(agents))

    async def search(self) -> str:
        code, text = await self.command("archive", "search", "询盘", "--limit", "5")
        if code != 0 or "询盘" not in text:
            raise StepFailed(self.t("demo.failed_command", code=code))
        return self.t("demo.searched")

    async def live(self) -> str:
        before = {item["id"] for item in await self.conversations()}
        sender, subject = await self.demo.deliver_inquiry(self.world)
        self.demo.say("   " + self.t("demo.live_delivered", sender=sender, subject=subject))
        self.live_sender = sender

        async def placed() -> dict[str, Any] | None:
            for item in await self.conversations():
                if item["id"] not in before and item.get("assignee"):
                    return item
            return None

        conversation = await self.eventually(placed, self.t("demo.what_assigned"))
        self.live_conversation = conversation

        async def printed() -> bool:
            async with self.db.session() as session:
                rows = await session.scalars(
                    select(OutboxItem.alert_key)
                    .join(Channel, Channel.id == OutboxItem.channel_id)
                    .where(Channel.enabled.is_(True), OutboxItem.sent_at.is_not(None))
                )
                return f"inquiry/{conversation['uid']}" in set(rows)

        await self.eventually(printed, self.t("demo.what_alert"))
        return self.t("demo.live_ok", id=conversation["id"], agent=conversation["assignee"])

    async def diagnose(self) -> str:
        code, text = await self.command("diagnose", "--mailbox", "info")
        if code != 1 or "auth.wrong_password" not in text:
            raise StepFailed(self.t("demo.failed_command", code=code))
        return self.t("demo.diagnosed")

    async def reply(self) -> str:
        conversation = self.live_conversation
        if conversation is None:
            raise StepFailed(self.t("demo.needs_live"))
        body = {"body_text": self.t("demo.reply_text")}
        answer = await self.api.post(f"/conversations/{conversation['id']}/replies", json=body)
        if answer.status_code != 202:
            raise StepFailed(f"POST replies: HTTP {answer.status_code} {answer.text[:300]}")
        customer = self.live_sender

        async def arrived() -> bytes | None:
            for raw in await self.world.store.messages(customer):
                message = message_from_bytes(raw)
                if parseaddr(str(message["From"]))[1] == corpus.SHARED_ADDRESS and message["In-Reply-To"]:
                    return raw
            return None

        raw = await self.eventually(arrived, self.t("demo.what_reply"))
        subject = str(message_from_bytes(raw)["Subject"])
        return self.t("demo.replied", customer=customer, subject=subject)
