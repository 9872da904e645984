"""Where the demo's alerts go: the console, until someone adds a real channel to the demo."""

from __future__ import annotations

from pathlib import Path

from mailwarden.core.secrets import SecretBox, generate_key
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.demo.stage import Stage
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
