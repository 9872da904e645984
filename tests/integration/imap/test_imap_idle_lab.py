"""IDLE against the lab's Dovecot 2.3: new mail over LMTP is seen, and a kicked session raises."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from imap_lab import OtherClient, login, make_message

from mailwarden.core.errors import NetworkError
from mailwarden.imap import Exists, IMAPClient, IMAPError, UidSet, Vanished

WAIT = 30.0  # a bound, not an expectation: Dovecot reports new mail within a second or so


async def test_idle_sees_a_message_delivered_over_lmtp(dovecot: Any, mail_user: Any) -> None:
    dovecot.deliver(mail_user.address, make_message(1, 500).raw)
    news = make_message(2, 700)

    async with await login(dovecot, mail_user) as client:
        folder = await client.examine("INBOX")
        async with client.idle() as idle:
            await asyncio.to_thread(dovecot.deliver, mail_user.address, news.raw)
            event = await idle.next(timeout=WAIT)
        [fetched] = [r async for r in client.uid_fetch(UidSet.range(folder.uidnext or 1, None))]

    assert event == Exists(2)
    assert fetched.body is not None and fetched.body.read_bytes().endswith(news.raw)


async def test_idle_with_qresync_reports_an_expunge_by_uid(dovecot: Any, mail_user: Any) -> None:
    for number in range(3):
        dovecot.deliver(mail_user.address, make_message(number, 500).raw)

    async with await login(dovecot, mail_user) as client:
        await client.enable("QRESYNC")
        await client.examine("INBOX")
        async with client.idle() as idle:
            other = await OtherClient.open(dovecot, mail_user)
            await other.expunge("2")
            await other.close()
            event = await idle.next(timeout=WAIT)

    assert event == Vanished(UidSet.of([2]))


async def idle_until_it_ends(client: IMAPClient, started: asyncio.Event) -> None:
    async with client.idle() as idle:
        started.set()
        async for _ in idle:
            pass


async def test_a_session_kicked_during_idle_raises_instead_of_waiting(dovecot: Any, mail_user: Any) -> None:
    started = asyncio.Event()
    async with await login(dovecot, mail_user) as client:
        await client.examine("INBOX")
        watcher = asyncio.create_task(idle_until_it_ends(client, started))
        async with asyncio.timeout(WAIT):
            await started.wait()
            await asyncio.to_thread(dovecot.kick, mail_user.address)
            with pytest.raises((IMAPError, NetworkError)) as caught:
                await watcher

    assert not caught.value.permanent
    assert isinstance(caught.value, NetworkError) or caught.value.status == "BYE", caught.value
