"""Helpers for notify's integration tests: a secret box, channels pointing at stand-ins, numbered alerts,
and a worker driven by a frozen clock (so ten minutes of outage take a second)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mailwarden.core import clock
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.db.engine import Database
from mailwarden.notify import service
from mailwarden.notify.alerts import Alert, Person
from mailwarden.notify.models import Channel
from mailwarden.notify.transports.http import HTTP
from mailwarden.notify.worker import Event, Worker, WorkerOptions

from chat_standins import StandIn

LI = Person(
    "Li Lei",
    email="li@example.com",
    timezone="Asia/Shanghai",
    ids={
        "dingtalk": "13800138000",
        "feishu": "ou_li",
        "wecom": "lilei",
        "slack": "U0LI",
        "teams": "li@example.com",
    },
)


def new_box() -> SecretBox:
    return SecretBox.from_text(generate_key(), "test")


def inquiry(n: int, *, mention: Person | None = LI) -> Alert:
    return Alert(
        "inquiry.new",
        f"inquiry:{n}",
        {
            "subject": f"LED panels #{n}",
            "customer": "Anna Schmidt",
            "company": "Licht GmbH",
            "country": "DE",
            "assignee": "Li Lei",
            "due": "2026-01-01T10:00:00+00:00",
        },
        mentions=(mention,) if mention else (),
        link=f"https://mailwarden.example/c/{n}",
    )


async def add_channel(
    db: Database, box: SecretBox, stand_in: StandIn, name: str | None = None, **values: Any
) -> Channel:
    spec = service.ChannelSpec(
        name=name or stand_in.name,
        kind=values.pop("kind", stand_in.name),
        url=values.pop("url", stand_in.url),  # type: ignore[attr-defined]
        secret=values.pop("secret", stand_in.secret),
        allow_private=True,
        **values,
    )
    return await service.add_channel(db, box, spec, private_targets=True)


class Driver:
    """A worker and a frozen clock: ``await driver.step(5)`` moves time on 5 s and delivers what is due."""

    def __init__(self, db: Database, box: SecretBox, frozen: clock.FrozenClock, **options: Any) -> None:
        self.events: list[Event] = []
        self.http = HTTP(timeout=5.0)
        options.setdefault("allow_private_targets", True)  # the stand-ins are on loopback
        self.worker = Worker(db, box, self.http, WorkerOptions(**options), on_event=self.events.append)
        self.frozen = frozen

    async def step(self, seconds: float = 1.0) -> None:
        self.frozen.advance(timedelta(seconds=seconds))
        await self.worker.drain()

    async def close(self) -> None:
        await self.http.aclose()
