"""Two workers on one outbox in the lab's PostgreSQL (``FOR UPDATE SKIP LOCKED``): every alert once, each
channel's order kept, a channel's rate never exceeded — and a worker killed with SIGKILL mid-request while
another keeps delivering leaves no duplicate."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.notify import service
from mailwarden.notify.models import Attempt, Channel, OutboxItem

from chat_standins import StandIn
from notify_env import Driver, add_channel, inquiry, new_box

StartStandIn = Callable[..., StandIn]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def pg(pg_url: str) -> str:
    """A migrated database on the lab PostgreSQL (the engine where two workers really run at once)."""
    async with Database(pg_url) as db:
        await upgrade(db)
    return pg_url


async def _states(url: str) -> Counter[str]:
    async with Database(url) as db, db.session() as session:
        return Counter((await session.scalars(select(OutboxItem.state))).all())


def _busiest_minute(starts: list[datetime]) -> int:
    return max(sum(1 for t in starts if s <= t < s + timedelta(minutes=1)) for s in starts)


async def test_two_workers_deliver_each_alert_once_in_order_within_the_rate(
    pg: str, stand_in: StartStandIn
) -> None:
    """GIVEN 60 alerts for a DingTalk robot (20 a minute), 30 for Slack and 30 for a webhook, one outbox in
    PostgreSQL WHEN two workers, each with its own connection pool, poll it at the same moments THEN every
    alert arrives exactly once, in order per channel, no robot minute holds more than 20, and both workers
    did part of the work."""
    box = new_box()
    robot, slack, hook = stand_in("dingtalk", secret="SECrobot"), stand_in("slack"), stand_in("webhook")
    async with Database(pg) as one, Database(pg) as two:
        with clock.frozen(START) as frozen:
            for server in (robot, slack, hook):
                await add_channel(one, box, server)
            for n in range(60):
                await service.enqueue(one, inquiry(n), ["dingtalk"] if n >= 30 else None)
            # one channel a claim: with the default batch of 8 the first worker to poll takes all three
            # heads, and the test would show the two working side by side only by luck of scheduling
            first, second = Driver(one, box, frozen, batch=1), Driver(two, box, frozen, batch=1)
            try:
                for _ in range(200):
                    frozen.advance(timedelta(seconds=1))
                    await asyncio.gather(first.worker.drain(), second.worker.drain())
            finally:
                await first.close()
                await second.close()
        async with one.session() as session:
            attempts = list((await session.scalars(select(Attempt))).all())

    assert robot.keys() == [str(n) for n in range(60)]
    assert slack.keys() == hook.keys() == [str(n) for n in range(30)]
    assert hook.repeats == 0
    assert robot.refusals == [] and robot.problems == []  # the stand-in answers 130101 past 20 a minute
    assert _busiest_minute(robot.starts) == 20
    assert await _states(pg) == Counter({"done": 120})
    assert len(attempts) == 120 and all(a.outcome == "ok" for a in attempts)
    workers = Counter(a.worker for a in attempts)
    assert len(workers) == 2, f"one worker did everything: {workers}"


class Workers:
    """``mailwarden notify worker`` processes on one PostgreSQL database."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
        self.env.update(
            {
                "MAILWARDEN_CONFIG": str(root / "mailwarden.toml"),
                "MAILWARDEN_DATABASE_URL": url,
                "MAILWARDEN_NOTIFY__ALLOW_PRIVATE_TARGETS": "true",
                "LANG": "C.UTF-8",
            }
        )
        self.procs: list[subprocess.Popen[str]] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "mailwarden", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, cwd=self.root, timeout=120)

    def start(self) -> subprocess.Popen[str]:
        argv = [sys.executable, "-m", "mailwarden", "notify", "worker", "--hold", "3", "--timeout", "2.5"]
        proc = subprocess.Popen(
            [*argv, "--poll", "0.1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.root,
        )
        self.procs.append(proc)
        return proc


@pytest.fixture
def workers(tmp_path: Path, pg: str) -> Iterator[Workers]:
    tool = Workers(tmp_path, pg)
    assert tool.run("init").returncode == 0
    yield tool
    for proc in tool.procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


async def _holder(url: str, channel: str) -> int:
    """The process id of the worker whose request to ``channel`` is open (worker names hold the pid)."""
    async with Database(url) as db, db.session() as session:
        query = (
            select(Attempt.worker)
            .join(Channel, Channel.id == Attempt.channel_id)
            .where(Channel.name == channel, Attempt.outcome.is_(None))
        )
        [name] = (await session.scalars(query)).all()  # a channel has one request in flight, at most
    return int(name.split(":")[1])


def test_kill_9_of_one_of_two_workers_mid_delivery_leaves_no_duplicate(
    workers: Workers, pg: str, stand_in: StartStandIn
) -> None:
    """GIVEN two workers delivering 50 alerts to Slack and 50 to a webhook WHEN the one whose request Slack
    is holding is killed with SIGKILL THEN the other takes its claim over once it expires: Slack has every
    alert once (the one in flight is marked unknown, not resent) and the webhook every alert once, resent
    by delivery id if it was in flight."""
    slack, hook = stand_in("slack"), stand_in("webhook")
    slack.hold_at = 7
    for name, server in (("s", slack), ("h", hook)):
        url = server.url  # type: ignore[attr-defined]
        added = workers.run(
            "notify", "channel", "add", name, "--kind", name.replace("s", "slack").replace("h", "webhook"),
            "--url", url, "--allow-private", "--rate", "1000",
            *(["--secret", "whsec"] if name == "h" else []),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr

    async def queue() -> None:
        async with Database(pg) as db:
            for n in range(50):
                await service.enqueue(db, inquiry(n))

    asyncio.run(queue())
    first, second = workers.start(), workers.start()
    assert slack.holding.wait(60), "no worker reached the 7th alert"
    victim = asyncio.run(_holder(pg, "s"))
    assert victim in (first.pid, second.pid)
    survivor = second if victim == first.pid else first
    os.kill(victim, signal.SIGKILL)
    slack.release()
    deadline = time.monotonic() + 90  # a liveness bound, not a speed check
    while time.monotonic() < deadline:
        states = asyncio.run(_states(pg))
        if not states["ready"] and not states["claimed"]:
            break
        time.sleep(0.2)
    survivor.send_signal(signal.SIGTERM)
    _out, err = survivor.communicate(timeout=30)

    assert survivor.returncode == 0, err
    assert slack.keys() == [str(n) for n in range(50)]  # each once (the held one too), in order
    assert hook.keys() == [str(n) for n in range(50)]
    assert asyncio.run(_states(pg)) == Counter({"done": 99, "unknown": 1})
    unknown = json.loads(workers.run("notify", "outbox", "--state", "unknown", "--json").stdout)
    assert [(i["channel"], i["alert"]) for i in unknown["items"]] == [("s", "inquiry:6")]
