"""The outbox and the worker against stand-ins, with a frozen clock: outages, rate limits, digests, doubt."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.notify import service
from mailwarden.notify.models import Attempt, Channel, OutboxItem

from chat_standins import StandIn
from notify_env import Driver, add_channel, inquiry, new_box

StartStandIn = Callable[..., StandIn]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _states(db: Database) -> Counter[str]:
    async with db.session() as session:
        return Counter((await session.scalars(select(OutboxItem.state))).all())


async def test_after_a_ten_minute_outage_every_alert_arrives_once_in_order(
    db: Database, stand_in: StartStandIn
) -> None:
    """GIVEN two channels whose receivers refuse connections for 5 minutes, then answer 500 for 5 more,
    WHEN 50 alerts are raised during the outage THEN after recovery each arrives once, in order."""
    box = new_box()
    slack, hook = stand_in("slack"), stand_in("webhook")
    with clock.frozen(START) as frozen:
        await add_channel(db, box, slack)
        await add_channel(db, box, hook)
        slack.stop()
        hook.stop()
        driver = Driver(db, box, frozen)
        try:
            for second in range(600):  # ten simulated minutes, one second a step
                if second % 12 == 0 and second // 12 < 50:
                    await service.enqueue(db, inquiry(second // 12))
                if second == 300:
                    slack.mode = hook.mode = "error"
                    slack.start()
                    hook.start()
                await driver.step(1)
            assert slack.received == [] and hook.received == []
            slack.mode = hook.mode = "ok"
            for _ in range(40):
                await driver.step(15)
        finally:
            await driver.close()
    expected = [str(n) for n in range(50)]
    assert slack.keys() == expected
    assert hook.keys() == expected
    assert hook.repeats == 0
    assert await _states(db) == Counter({"done": 100})
    retries = sum(1 for e in driver.events if e.outcome == "retry")
    assert 10 < retries < 60, "back-off: retried, but not in a tight loop"


async def test_a_dingtalk_robot_never_gets_more_than_20_a_minute_and_none_is_lost(
    db: Database, stand_in: StartStandIn
) -> None:
    box = new_box()
    robot = stand_in("dingtalk", secret="SECrobot")
    with clock.frozen(START) as frozen:
        await add_channel(db, box, robot)
        for n in range(100):
            await service.enqueue(db, inquiry(n))
        driver = Driver(db, box, frozen)
        try:
            for _ in range(400):
                await driver.step(1)
        finally:
            await driver.close()
    assert robot.refusals == []  # the stand-in answers 130101 past 20 a minute
    assert robot.keys() == [str(n) for n in range(100)]
    starts = robot.starts
    assert max(sum(1 for t in starts if s <= t < s + timedelta(minutes=1)) for s in starts) == 20
    assert robot.problems == []


async def test_a_burst_beyond_the_rate_becomes_a_digest_and_nothing_is_lost(
    db: Database, stand_in: StartStandIn
) -> None:
    box = new_box()
    robot = stand_in("dingtalk", secret="SECrobot")
    with clock.frozen(START) as frozen:
        await add_channel(db, box, robot, digest=True)
        for n in range(100):
            await service.enqueue(db, inquiry(n))
        driver = Driver(db, box, frozen)
        try:
            for _ in range(200):
                await driver.step(1)
        finally:
            await driver.close()
    assert robot.refusals == []
    assert robot.keys() == [str(n) for n in range(100)]  # each once, in order, some inside digests
    assert len(robot.received) < 50
    assert any(len(r.text.splitlines()) > 10 for r in robot.received)
    assert await _states(db) == Counter({"done": 100})


async def test_the_same_alert_raised_twice_is_queued_once_per_channel(
    db: Database, stand_in: StartStandIn
) -> None:
    box = new_box()
    await add_channel(db, box, stand_in("slack"))
    assert await service.enqueue(db, inquiry(1)) == 1
    assert await service.enqueue(db, inquiry(1)) == 0


async def test_an_invalid_token_disables_the_channel_and_keeps_its_queue(
    db: Database, stand_in: StartStandIn
) -> None:
    box = new_box()
    wecom = stand_in("wecom", token="right")
    with clock.frozen(START) as frozen:
        await add_channel(db, box, wecom, url=wecom.url.replace("right", "wrong"))  # type: ignore[attr-defined]
        for n in range(3):
            await service.enqueue(db, inquiry(n))
        driver = Driver(db, box, frozen)
        try:
            await driver.step(1)
            await driver.step(60)
            [channel] = await service.list_channels(db)
            assert not channel.enabled
            assert channel.last_error is not None and "93000" in channel.last_error
            assert await _states(db) == Counter({"ready": 3})
            assert wecom.requests == 1  # disabled at the first refusal, not hammered
        finally:
            await driver.close()


async def test_an_alert_in_doubt_after_a_crash_is_not_sent_again(
    db: Database, stand_in: StartStandIn
) -> None:
    """GIVEN an attempt recorded without an outcome (its worker died mid-request) WHEN another worker
    takes the row over THEN it marks the alert unknown instead of posting it a second time."""
    box = new_box()
    slack = stand_in("slack")
    with clock.frozen(START) as frozen:
        channel = await add_channel(db, box, slack)
        await service.enqueue(db, inquiry(1))
        await service.enqueue(db, inquiry(2))
        async with db.session() as session:
            first = await session.scalar(select(OutboxItem).order_by(OutboxItem.id))
            assert first is not None
            first.state, first.claimed_by, first.claimed_until = (
                "claimed",
                "dead",
                START + timedelta(seconds=60),
            )
            session.add(
                Attempt(
                    channel_id=channel.id,
                    outbox_id=first.id,
                    covers=[first.id],
                    worker="dead",
                    started_at=START,
                )
            )
            await session.commit()
        driver = Driver(db, box, frozen)
        try:
            await driver.step(61)
            await driver.step(1)
        finally:
            await driver.close()
    assert slack.keys() == ["2"]
    assert await _states(db) == Counter({"unknown": 1, "done": 1})


async def test_the_webhook_resends_an_alert_in_doubt_with_the_same_delivery_id(
    db: Database, stand_in: StartStandIn
) -> None:
    box = new_box()
    hook = stand_in("webhook")
    with clock.frozen(START) as frozen:
        channel = await add_channel(db, box, hook)
        await service.enqueue(db, inquiry(1))
        driver = Driver(db, box, frozen)
        try:
            await driver.step(1)
            async with db.session() as session:  # pretend the answer to that request was lost
                item = await session.scalar(select(OutboxItem))
                assert item is not None
                item.state, item.claimed_by, item.claimed_until = "claimed", "dead", clock.now()
                session.add(
                    Attempt(
                        channel_id=channel.id,
                        outbox_id=item.id,
                        covers=[item.id],
                        worker="dead",
                        started_at=clock.now(),
                    )
                )
                await session.commit()
            await driver.step(2)
        finally:
            await driver.close()
    assert hook.keys() == ["1"]
    assert hook.repeats == 1  # sent again, recognised by X-Mailwarden-Delivery, dropped by the receiver
    assert await _states(db) == Counter({"done": 1})
    async with db.session() as session:
        assert (await session.get(Channel, channel.id)) is not None
