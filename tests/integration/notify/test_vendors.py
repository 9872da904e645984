"""Each transport against its vendor's stand-in: signed correctly, mentions where the vendor looks for them,
and the vendor's documented refusals read as what they mean (a wrong signature disables the channel)."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from mailwarden.core import clock
from mailwarden.core.secrets import SecretValue
from mailwarden.notify.alerts import Person, render
from mailwarden.notify.errors import DeliveryError
from mailwarden.notify.transports import TRANSPORTS, Context, Target
from mailwarden.notify.transports.http import HTTP

from chat_standins import StandIn
from notify_env import LI, inquiry

StartStandIn = Callable[..., StandIn]
SIGNED = {"feishu": "feishu-secret", "lark": "lark-secret", "dingtalk": "SECdingtalk+/=", "webhook": "whsec"}


@pytest.fixture
async def http() -> AsyncIterator[HTTP]:
    client = HTTP(timeout=5.0)
    yield client
    await client.aclose()


def _target(kind: str, url: str, secret: str | None) -> Target:
    return Target(kind, kind, url, SecretValue(secret) if secret else None, allow_private=True)


@pytest.mark.parametrize("kind", ["feishu", "lark", "dingtalk", "wecom", "slack", "teams", "webhook"])
async def test_it_delivers_signed_with_a_real_mention(kind: str, stand_in: StartStandIn, http: HTTP) -> None:
    server = stand_in(kind, secret=SIGNED.get(kind)) if kind != "webhook" else stand_in(kind)
    transport = TRANSPORTS[kind](_target(kind, server.url, SIGNED.get(kind)), Context(http))  # type: ignore[attr-defined]

    await transport.send(render(inquiry(7), "zh-CN"))

    [got] = server.received
    assert "LED panels #7" in got.text
    expected = {"teams": "li@example.com", "webhook": "Li Lei"}.get(kind, LI.id_for(kind))
    assert got.mentions == [expected]
    assert server.problems == []


@pytest.mark.parametrize("kind", ["feishu", "dingtalk", "webhook"])
async def test_a_wrong_signature_is_refused_and_disables_the_channel(
    kind: str, stand_in: StartStandIn, http: HTTP
) -> None:
    server = stand_in(kind, secret="the-real-secret")
    transport = TRANSPORTS[kind](_target(kind, server.url, "a-wrong-secret"), Context(http))  # type: ignore[attr-defined]

    with pytest.raises(DeliveryError) as caught:
        await transport.send(render(inquiry(1), "en"))

    assert caught.value.disables_channel
    assert server.received == []
    expected = {"feishu": "19021", "dingtalk": "310000", "webhook": "bad signature"}[kind]
    assert expected in caught.value.answer


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("dingtalk", "300001"),
        ("wecom", "93000"),
        ("slack", "no_service"),
        ("feishu", "19001"),
        ("teams", "TriggerNotFound"),
    ],
)
async def test_an_invalid_token_disables_the_channel_with_the_vendors_answer(
    kind: str, answer: str, stand_in: StartStandIn, http: HTTP
) -> None:
    server = stand_in(kind, token="right")
    wrong = server.url.replace("right", "wrong")  # type: ignore[attr-defined]
    transport = TRANSPORTS[kind](_target(kind, wrong, None), Context(http))

    with pytest.raises(DeliveryError) as caught:
        await transport.send(render(inquiry(1), "en"))

    assert caught.value.disables_channel
    assert answer in caught.value.answer


async def test_dingtalk_signs_with_the_timestamp_in_milliseconds_and_encodes_once(
    stand_in: StartStandIn, http: HTTP
) -> None:
    """The secret is chosen so that the base64 signature holds + / or = for most timestamps: sent raw, or
    encoded twice, the stand-in (which decodes once) sees a different value. 20 sends cover many of them."""
    server = stand_in("dingtalk", secret="SEC+/=secret")
    transport = TRANSPORTS["dingtalk"](_target("dingtalk", server.url, "SEC+/=secret"), Context(http))
    for n in range(5):
        await transport.send(render(inquiry(n), "en"))
    assert len(server.received) == 5


async def test_wecom_mentions_by_mobile_in_a_text_message(stand_in: StartStandIn, http: HTTP) -> None:
    server = stand_in("wecom")
    transport = TRANSPORTS["wecom"](_target("wecom", server.url, None), Context(http))  # type: ignore[attr-defined]
    by_mobile = Person("Wang", ids={"wecom": "13900139000"})

    await transport.send(render(inquiry(3, mention=by_mobile), "en"))

    [got] = server.received
    assert got.payload["msgtype"] == "text"
    assert got.payload["text"]["mentioned_mobile_list"] == ["13900139000"]


async def test_someone_without_an_identity_is_named_but_not_mentioned(
    stand_in: StartStandIn, http: HTTP
) -> None:
    server = stand_in("slack")
    transport = TRANSPORTS["slack"](_target("slack", server.url, None), Context(http))  # type: ignore[attr-defined]

    await transport.send(render(inquiry(4, mention=Person("Zhang")), "en"))

    [got] = server.received
    assert got.mentions == []
    assert "@Zhang" in got.text


async def test_dingtalk_past_20_a_minute_waits_the_ten_minutes_the_robot_is_blocked(
    stand_in: StartStandIn, http: HTTP
) -> None:
    server = stand_in("dingtalk", secret="SECrobot")
    transport = TRANSPORTS["dingtalk"](_target("dingtalk", server.url, "SECrobot"), Context(http))  # type: ignore[attr-defined]
    with clock.frozen(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)):
        for n in range(20):
            await transport.send(render(inquiry(n), "en"))
        with pytest.raises(DeliveryError) as caught:
            await transport.send(render(inquiry(20), "en"))

    assert "130101" in caught.value.answer
    assert not caught.value.permanent
    assert caught.value.retry_after == 600.0


@pytest.mark.parametrize(
    ("kind", "status", "body", "disables", "permanent"),
    [
        # a payload Feishu cannot use is refused, not the bot (cliii-one/FnDepot#22)
        ("feishu", 200, '{"code":19002,"data":{},"msg":"params error, msg_type need"}', False, True),
        ("feishu", 200, '{"code":19024,"data":{},"msg":"Key Words Not Found"}', True, True),
        ("feishu", 200, '{"code":11232,"data":{},"msg":"frequency limited psm"}', False, False),
        ("dingtalk", 200, '{"errcode":400102,"errmsg":"robot disabled"}', True, True),
        ("wecom", 200, '{"errcode":93004,"errmsg":"robot disabled"}', True, True),
        ("wecom", 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', False, False),
        ("wecom", 200, '{"errcode":-1,"errmsg":"system busy"}', False, False),
        ("slack", 429, "rate_limited", False, False),
        ("slack", 400, "invalid_payload", False, True),
        ("teams", 502, "Bad Gateway", False, False),
    ],
)
async def test_each_vendor_answer_is_read_as_what_it_condemns(
    kind: str,
    status: int,
    body: str,
    disables: bool,
    permanent: bool,
    stand_in: StartStandIn,
    http: HTTP,
) -> None:
    server = stand_in(kind)
    server.next_answer = (status, body, "application/json" if body.startswith("{") else "text/plain")
    transport = TRANSPORTS[kind](_target(kind, server.url, None), Context(http))  # type: ignore[attr-defined]

    with pytest.raises(DeliveryError) as caught:
        await transport.send(render(inquiry(1), "en"))

    assert (caught.value.disables_channel, caught.value.permanent) == (disables, permanent)
    assert caught.value.answer == body
