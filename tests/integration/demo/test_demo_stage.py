"""The demo's set-up as the service sees it: where alerts go (the console, until someone adds a real
channel), and a team that can take an inquiry at any hour the demo is run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from mailwarden.access.models import Agent
from mailwarden.core import clock
from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.demo.stage import DUTY, Stage
from mailwarden.demo.world import World
from mailwarden.inbox.assign_agents import agent_status
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.teams import Teams
from mailwarden.notify import service as notify


async def test_a_real_channel_takes_over_from_the_console_and_gives_it_back(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    stage = Stage(tmp_path, settings, SecretBox.from_text(generate_key(), "test"))
    db = Database(settings.sqlalchemy_url)
    try:
        await upgrade(db)
        assert await stage.alert_channels(db, "en") == []
        assert [(c.name, c.kind, c.enabled) for c in await notify.list_channels(db)] == [
            ("console", "console", True)
        ]
        assert await stage.alert_channels(db, "en") == []  # a second start adds no second console
        spec = notify.ChannelSpec("team-chat", "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x")
        await notify.add_channel(db, stage.box, spec)
        assert await stage.alert_channels(db, "en") == ["team-chat"]
        assert {c.name: c.enabled for c in await notify.list_channels(db)} == {
            "console": False,
            "team-chat": True,
        }
        await notify.remove_channel(db, "team-chat")
        assert await stage.alert_channels(db, "en") == []
        assert [(c.name, c.enabled) for c in await notify.list_channels(db)] == [("console", True)]
    finally:
        await db.dispose()


class _Shifted:
    """The real clock moved to another instant: time runs, as the servers and timeouts need."""

    def __init__(self, at: datetime) -> None:
        self.offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


def _saturday_night(after: datetime) -> datetime:
    """The first Saturday 23:00 in Shanghai after ``after`` (15:00 UTC: every office of the team closed)."""
    day = (after + timedelta(days=1)).date()
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


async def test_whenever_the_demo_runs_someone_is_on_shift_and_every_inquiry_is_assigned(
    tmp_path: Path,
) -> None:
    # The CI once ran the tour on a Friday at 21:30 UTC, when Shanghai, Berlin and São Paulo were all
    # out of office: ten inquiries waited in the team queue and the live one was never assigned.
    world = await World.start(tmp_path)
    try:
        await world.populate(datetime.now(UTC))
        stage = Stage.write(tmp_path, world, "en")
        async with stage.database() as db:
            await stage.create(db, world)
            teams = Teams(stage.settings.inbox)
            for at in (
                datetime(2026, 11, 27, 21, 30, tzinfo=UTC),  # Friday night everywhere
                datetime(2026, 11, 28, 15, tzinfo=UTC),  # Saturday
                datetime(2026, 10, 2, 3, tzinfo=UTC),  # National Day: Shanghai's office is closed
            ):
                on_shift = [s.name for s in await agent_status(db, teams, at) if s.available]
                assert on_shift == [DUTY], at
            monday = datetime(2026, 11, 30, 3, tzinfo=UTC)  # 11:00 in Shanghai: the office is open
            on_shift = {s.name for s in await agent_status(db, teams, monday) if s.available}
            assert on_shift == {"alice", DUTY}
            with clock.use(_Shifted(_saturday_night(datetime.now(UTC)))):
                first = await stage.first_pass(db)
            async with db.session() as session:
                rows = (
                    await session.execute(
                        select(Conversation.assignee_id, Agent.name)
                        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
                        .where(Conversation.last_customer_at.is_not(None))
                    )
                ).all()
    finally:
        await world.close()
    assert first.opened > 40 and first.queued == 0
    assert len(rows) > 40 and {name for _, name in rows} == {DUTY}  # the customers' conversations
