"""The real ``mailwarden`` command: channels, agents, ``notify test``, and a worker killed with SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.db.engine import Database
from mailwarden.notify import service
from mailwarden.notify.models import OutboxItem

from chat_standins import StandIn
from notify_env import inquiry

StartStandIn = Callable[..., StandIn]


class Mailwarden:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
        self.env.update(
            {
                "MAILWARDEN_CONFIG": str(root / "mailwarden.toml"),
                "LANG": "C.UTF-8",
                "COLUMNS": "200",
                # the stand-ins are on loopback: the administrator's switch is on unless a test turns it off
                "MAILWARDEN_NOTIFY__ALLOW_PRIVATE_TARGETS": "true",
            }
        )

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "mailwarden", *args]

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.root,
            timeout=120,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.root,
        )

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'data' / 'mailwarden.db'}"


@pytest.fixture
def mw(tmp_path: Path) -> Mailwarden:
    tool = Mailwarden(tmp_path)
    done = tool("init")
    assert done.returncode == 0, done.stderr
    return tool


def test_notify_test_mentions_an_agent_through_a_signed_feishu_bot(
    mw: Mailwarden, stand_in: StartStandIn
) -> None:
    bot = stand_in("feishu", secret="feishu-secret")
    assert (
        mw(
            "agent",
            "add",
            "Li",
            "--email",
            "li@example.com",
            "--timezone",
            "Asia/Shanghai",
            "--im",
            "feishu:ou_li",
            "--im",
            "dingtalk:13800138000",
        ).returncode
        == 0
    )
    added = mw(
        "notify",
        "channel",
        "add",
        "team",
        "--kind",
        "feishu",
        "--url",
        bot.url,  # type: ignore[attr-defined]
        "--secret-stdin",
        "--allow-private",
        stdin="feishu-secret\n",
    )
    assert added.returncode == 0, added.stderr

    done = mw("notify", "test", "team", "--mention", "Li")

    assert done.returncode == 0, done.stdout + done.stderr
    [got] = bot.received
    assert got.mentions == ["ou_li"]


def test_notify_test_exits_1_with_the_vendors_answer_when_the_signature_is_wrong(
    mw: Mailwarden, stand_in: StartStandIn
) -> None:
    bot = stand_in("dingtalk", secret="SECright")
    mw(
        "notify",
        "channel",
        "add",
        "ding",
        "--kind",
        "dingtalk",
        "--url",
        bot.url,  # type: ignore[attr-defined]
        "--secret",
        "SECwrong",
        "--allow-private",
    )

    done = mw("notify", "test", "ding", "--json")

    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["ok"] is False and "310000" in result["answer"]


def test_channel_list_never_shows_the_token_or_the_secret(mw: Mailwarden, stand_in: StartStandIn) -> None:
    bot = stand_in("wecom", token="key-0123456789")
    mw("notify", "channel", "add", "wc", "--kind", "wecom", "--url", bot.url, "--allow-private")  # type: ignore[attr-defined]
    mw(
        "notify",
        "channel",
        "add",
        "hook",
        "--kind",
        "webhook",
        "--url",
        "https://hooks.example.com/x",
        "--secret",
        "whsec-topsecret",
    )

    listed = mw("notify", "channel", "list", "--json")

    assert listed.returncode == 0
    assert "key-0123456789" not in listed.stdout and "whsec-topsecret" not in listed.stdout
    assert {c["name"] for c in json.loads(listed.stdout)["channels"]} == {"wc", "hook"}


def test_a_private_address_needs_allow_private(mw: Mailwarden) -> None:
    done = mw("notify", "channel", "add", "x", "--kind", "slack", "--url", "http://10.1.2.3/services/x")
    assert done.returncode == 2
    assert "--allow-private" in done.stderr


def test_allow_private_is_refused_unless_the_administrator_allows_private_targets(
    mw: Mailwarden, stand_in: StartStandIn
) -> None:
    slack = stand_in("slack")
    mw.env["MAILWARDEN_NOTIFY__ALLOW_PRIVATE_TARGETS"] = "false"
    url = slack.url  # type: ignore[attr-defined]

    done = mw("notify", "channel", "add", "s", "--kind", "slack", "--url", url, "--allow-private")

    assert done.returncode == 2
    assert "allow_private_targets" in done.stderr
    assert "s" not in {
        c["name"] for c in json.loads(mw("notify", "channel", "list", "--json").stdout)["channels"]
    }


def test_turning_the_switch_off_stops_channels_added_while_it_was_on(
    mw: Mailwarden, stand_in: StartStandIn
) -> None:
    """GIVEN a channel to a loopback receiver, added while [notify] allow_private_targets was true
    WHEN the administrator sets it to false in mailwarden.toml THEN nothing reaches the receiver any more:
    `notify test` exits 1, and the worker disables the channel (its queue kept) instead of posting."""
    slack = stand_in("slack")
    url = slack.url  # type: ignore[attr-defined]
    assert (
        mw("notify", "channel", "add", "s", "--kind", "slack", "--url", url, "--allow-private").returncode
        == 0
    )
    del mw.env["MAILWARDEN_NOTIFY__ALLOW_PRIVATE_TARGETS"]
    (mw.root / "mailwarden.toml").write_text(
        (mw.root / "mailwarden.toml").read_text() + "\n[notify]\nallow_private_targets = false\n"
    )

    tested = mw("notify", "test", "s", "--json")

    assert tested.returncode == 1
    assert "127.0.0.1" in json.loads(tested.stdout)["error"]["message"]

    async def queue() -> None:
        async with Database(mw.db_url) as db:
            await service.enqueue(db, inquiry(1))

    asyncio.run(queue())
    worked = mw("notify", "worker", "--once")
    assert worked.returncode == 0, worked.stderr
    assert slack.requests == 0
    [channel] = json.loads(mw("notify", "channel", "list", "--json").stdout)["channels"]
    assert channel["enabled"] is False and "127.0.0.1" in channel["last_error"]
    assert asyncio.run(_states(mw.db_url)) == Counter({"ready": 1})


async def _states(url: str) -> Counter[str]:
    async with Database(url) as db, db.session() as session:
        return Counter((await session.scalars(select(OutboxItem.state))).all())


def test_kill_9_of_the_worker_mid_delivery_leaves_no_duplicate(
    mw: Mailwarden, stand_in: StartStandIn
) -> None:
    """GIVEN 50 queued alerts WHEN the worker is killed with SIGKILL while the receiver holds the 7th request
    THEN a new worker delivers the rest, and the receiver has each alert exactly once."""
    slack = stand_in("slack")
    slack.hold_at = 7
    assert (
        mw(
            "notify",
            "channel",
            "add",
            "s",
            "--kind",
            "slack",
            "--url",
            slack.url,  # type: ignore[attr-defined]
            "--allow-private",
            "--rate",
            "1000",
        ).returncode
        == 0
    )

    async def queue() -> None:
        async with Database(mw.db_url) as db:
            for n in range(50):
                await service.enqueue(db, inquiry(n))

    asyncio.run(queue())
    first = mw.start("notify", "worker", "--hold", "3", "--timeout", "2.5", "--poll", "0.1")
    try:
        assert slack.holding.wait(60), "the worker never reached the 7th alert"
    finally:
        first.kill()  # SIGKILL, mid-request
        first.communicate(timeout=30)
    slack.release()
    second = mw.start("notify", "worker", "--hold", "3", "--timeout", "2.5", "--poll", "0.1")
    try:
        deadline = time.monotonic() + 90  # a liveness bound, not a speed check
        while time.monotonic() < deadline:
            states = asyncio.run(_states(mw.db_url))
            if not states["ready"] and not states["claimed"]:
                break
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        _out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert slack.keys() == [str(n) for n in range(50)]  # each once, in order
    assert asyncio.run(_states(mw.db_url)) == Counter({"done": 49, "unknown": 1})
    outbox = json.loads(mw("notify", "outbox", "--state", "unknown", "--json").stdout)
    assert [i["alert"] for i in outbox["items"]] == ["inquiry:6"]
