"""The e-mail channel against the lab's real Postfix (submission) and Dovecot (the mailboxes it lands in).

Alerts go out through a stored mailbox (the shared address) and are read back over IMAP from the
recipients' own mailboxes. The worker runs on a frozen clock, so back-off minutes take no time; the SMTP
sessions are real ones.
"""

import asyncio
import email
import imaplib
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailwarden.core import clock
from mailwarden.core.secrets import SecretBox
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.mailboxes import service as mailboxes
from mailwarden.notify import service
from mailwarden.notify.alerts import Alert, Person, render
from mailwarden.notify.models import Attempt, Channel, OutboxItem

from notify_env import Driver, new_box

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLL_ATTEMPTS, POLL_PAUSE = 100, 0.1  # Postfix → LMTP → Dovecot takes ~0.1 s


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """SQLite only: what is tested here is the SMTP side (the outbox runs on both engines elsewhere)."""
    database = Database(f"sqlite:///{tmp_path / 'mw.db'}")
    await upgrade(database)
    yield database
    await database.dispose()


async def _mailbox(
    db: Database,
    box: SecretBox,
    sender: Any,
    postfix: Any,
    dovecot: Any,
    *,
    password: str | None = None,
    port: int | None = None,
    tls: str = "starttls",
) -> None:
    spec = mailboxes.MailboxSpec(
        name="sales",
        address=sender.address,
        username=sender.address,
        imap_host=dovecot.host,
        imap_port=dovecot.imaps_port,
        imap_tls="implicit",
        smtp_host=postfix.host,
        smtp_port=port or postfix.submission_port,
        smtp_tls=tls,
        ca_file=Path(postfix.ca_file),
        allow_plaintext=tls == "none",
    )
    await mailboxes.add_mailbox(db, spec, box=box, secret=password or sender.password)


async def _channel(db: Database, box: SecretBox, *to: str, language: str = "en") -> Channel:
    spec = service.ChannelSpec(
        name="mail",
        kind="email",
        url="mailto:" + ",".join(to),
        language=language,
        options={"mailbox": "sales"},
    )
    return await service.add_channel(db, box, spec)


def _alert(n: int, assignee: Person | None = None, subject: str | None = None) -> Alert:
    return Alert(
        "inquiry.new",
        f"inquiry:{n}",
        {
            "subject": subject or f"LED panels #{n}",
            "customer": "Anna Schmidt",
            "company": "Licht GmbH",
            "assignee": assignee.name if assignee else "-",
            "due": "2026-03-02T10:00:00+00:00",
        },
        mentions=(assignee,) if assignee else (),
        link=f"https://mailwarden.example/c/{n}",
    )


def _read_inbox(dovecot: Any, user: Any, expect: int) -> list[Message]:
    """The user's INBOX once it holds ``expect`` messages (and a moment later, so a late extra is seen)."""
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=10) as imap:
        imap.login(user.address, user.password)
        imap.select("INBOX", readonly=True)
        settled = 0
        for _ in range(POLL_ATTEMPTS):
            _, found = imap.search(None, "ALL")
            count = len(found[0].split())
            settled = settled + 1 if count >= expect else 0
            if settled > 5:
                break
            time.sleep(POLL_PAUSE)
            imap.noop()
        messages = []
        for number in found[0].split():
            _, fetched = imap.fetch(number, "(BODY.PEEK[])")
            item = fetched[0]
            assert isinstance(item, tuple)
            messages.append(email.message_from_bytes(item[1]))
        return messages


async def inbox(dovecot: Any, user: Any, expect: int) -> list[Message]:
    return await asyncio.to_thread(_read_inbox, dovecot, user, expect)


def _subject(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def _body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


async def _states(db: Database) -> Counter[str]:
    async with db.session() as session:
        return Counter((await session.scalars(select(OutboxItem.state))).all())


async def _attempts(db: Database) -> list[Attempt]:
    async with db.session() as session:
        return list((await session.scalars(select(Attempt).order_by(Attempt.id))).all())


async def _deliver(db: Database, box: SecretBox, *steps: float) -> Driver:
    """Run a worker on a clock frozen at the real now (what was queued is due), moved on by ``steps``."""
    with clock.frozen(datetime.now(UTC)) as frozen:
        driver = Driver(db, box, frozen)
        try:
            for seconds in steps:
                await driver.step(seconds)
        finally:
            await driver.close()
    return driver


async def test_an_alert_arrives_from_the_shared_address_in_the_channels_language_with_the_assignee_on_cc(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    box = new_box()
    sales, team, li = dovecot.add_user(), dovecot.add_user(), dovecot.add_user()
    assignee = Person("Li Lei", email=li.address, timezone="Asia/Shanghai")
    await _mailbox(db, box, sales, postfix, dovecot)
    await _channel(db, box, team.address, language="zh-CN")
    await service.enqueue(db, _alert(1, assignee))

    await _deliver(db, box, 1)

    [mail] = await inbox(dovecot, team, 1)
    assert getaddresses(mail.get_all("From", [])) == [("", sales.address)]
    assert getaddresses(mail.get_all("To", [])) == [("", team.address)]
    assert getaddresses(mail.get_all("Cc", [])) == [("", li.address)]
    assert _subject(mail) == "新询盘：LED panels #1"
    body = _body(mail)
    assert "客户：Anna Schmidt" in body and "公司：Licht GmbH" in body
    assert "2026-03-02 18:00 CST" in body  # the assignee's zone
    assert "https://mailwarden.example/c/1" in body and "@Li Lei" in body
    expected_id = render(_alert(1, assignee), "zh-CN").message_id
    assert mail["Message-ID"] == f"<{expected_id}@example.test>"
    assert mail["Auto-Submitted"] == "auto-generated"
    [copy] = await inbox(dovecot, li, 1)  # the assignee got it too, as Cc
    assert copy["Message-ID"] == mail["Message-ID"]
    assert await _states(db) == Counter({"done": 1})
    [attempt] = await _attempts(db)
    assert attempt.outcome == "ok" and attempt.answer is not None and attempt.answer.startswith("250")


async def test_a_refused_login_disables_the_channel_with_the_servers_reply_and_keeps_the_queue(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    await _mailbox(db, box, sales, postfix, dovecot, password="not-the-password")
    await _channel(db, box, team.address)
    for n in range(3):
        await service.enqueue(db, _alert(n))

    await _deliver(db, box, 1, 60, 600)

    [channel] = await service.list_channels(db)
    assert not channel.enabled
    assert channel.last_error is not None and "535" in channel.last_error and "5.7.8" in channel.last_error
    [attempt] = await _attempts(db)  # disabled at the first refusal, not tried again
    assert (attempt.outcome, attempt.status) == ("error", 535)
    assert attempt.answer is not None and attempt.answer.startswith("535 5.7.8")
    assert await _states(db) == Counter({"ready": 3})
    assert await inbox(dovecot, team, 0) == []


async def test_a_temporary_refusal_is_retried_with_back_off_and_does_not_disable_the_channel(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    """A 4xx reply (here at the end of DATA) is "not now": tried again later, the channel stays on."""
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    await _mailbox(db, box, sales, postfix, dovecot)
    await _channel(db, box, team.address)
    await service.enqueue(db, _alert(1, subject="Offer [lab-defer-data]"))

    driver = await _deliver(db, box, 1, 1, 30)

    [channel] = await service.list_channels(db)
    assert channel.enabled
    assert [e.outcome for e in driver.events] == ["retry", "retry"]  # 15 s back-off: not at +1 s
    first, _again = await _attempts(db)
    assert first.status is not None and 400 <= first.status < 500
    assert first.answer is not None and "try again later" in first.answer
    async with db.session() as session:
        [row] = (await session.scalars(select(OutboxItem))).all()
    assert (row.state, row.tries) == ("ready", 2)
    assert await inbox(dovecot, team, 0) == []


async def test_a_recipient_the_server_refuses_disables_the_channel_with_its_reply(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    box = new_box()
    sales = dovecot.add_user()
    await _mailbox(db, box, sales, postfix, dovecot)
    await _channel(db, box, "team@elsewhere.test")  # the lab Postfix refuses other domains at RCPT
    await service.enqueue(db, _alert(1))

    await _deliver(db, box, 1)

    [channel] = await service.list_channels(db)
    assert not channel.enabled
    [attempt] = await _attempts(db)
    assert attempt.status is not None and attempt.status >= 500
    assert attempt.answer is not None and attempt.answer.startswith("team@elsewhere.test: 5")
    assert await _states(db) == Counter({"ready": 1})


async def test_a_server_without_starttls_disables_the_channel_rather_than_send_in_plaintext(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    await _mailbox(db, box, sales, postfix, dovecot, port=postfix.plain_auth_port)  # offers no STARTTLS
    await _channel(db, box, team.address)
    await service.enqueue(db, _alert(1))

    await _deliver(db, box, 1, 60)

    [channel] = await service.list_channels(db)
    assert not channel.enabled
    assert channel.last_error is not None and "STARTTLS" in channel.last_error
    assert len(await _attempts(db)) == 1
    assert await _states(db) == Counter({"ready": 1})


async def test_a_message_refused_at_data_fails_that_alert_and_the_channel_goes_on(
    db: Database, postfix: Any, dovecot: Any
) -> None:
    """GIVEN a content filter that refuses one message at the end of DATA (5xx) THEN that alert fails with
    the server's reply, the channel stays enabled, and the next alert arrives."""
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    await _mailbox(db, box, sales, postfix, dovecot)
    await _channel(db, box, team.address)
    await service.enqueue(db, _alert(1, subject="Offer [lab-reject-data]"))
    await service.enqueue(db, _alert(2))

    await _deliver(db, box, 1, 1)

    [channel] = await service.list_channels(db)
    assert channel.enabled
    first, second = await _attempts(db)
    assert first.outcome == "error" and first.status is not None and first.status >= 550
    assert first.answer is not None and "lab content filter" in first.answer
    assert second.outcome == "ok"
    assert [_subject(m) for m in await inbox(dovecot, team, 1)] == ["New inquiry: LED panels #2"]
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert [r.state for r in rows] == ["failed", "done"]
    assert rows[0].last_error is not None and "lab content filter" in rows[0].last_error


async def test_after_an_smtp_outage_every_alert_arrives_once_in_order(
    db: Database, postfix: Any, dovecot: Any, fault_proxy: Any
) -> None:
    """GIVEN a submission server that refuses connections while 5 alerts are raised over ten minutes
    WHEN it comes back THEN each alert arrives exactly once, in the order raised."""
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    proxy = fault_proxy(postfix.submission_port)
    await _mailbox(db, box, sales, postfix, dovecot, port=proxy.port)
    await _channel(db, box, team.address)
    proxy.refuse_new(True)
    with clock.frozen(START) as frozen:
        driver = Driver(db, box, frozen)
        try:
            for second in range(0, 600, 5):
                if second % 120 == 0:
                    await service.enqueue(db, _alert(second // 120))
                await driver.step(5)
            assert await inbox(dovecot, team, 0) == []
            proxy.refuse_new(False)
            for _ in range(10):
                await driver.step(60)
        finally:
            await driver.close()

    arrived = await inbox(dovecot, team, 5)
    assert [_subject(m) for m in arrived] == [f"New inquiry: LED panels #{n}" for n in range(5)]
    assert len({m["Message-ID"] for m in arrived}) == 5
    assert await _states(db) == Counter({"done": 5})
    retries = sum(1 for e in driver.events if e.outcome == "retry")
    assert 3 < retries < 40, "retried with back-off, not in a tight loop"


async def test_a_session_cut_after_the_final_dot_is_sent_again_with_the_same_message_id(
    db: Database, postfix: Any, dovecot: Any, fault_proxy: Any
) -> None:
    """GIVEN a connection cut after the server queued the message but before its reply reached us
    THEN the alert is retried (SMTP cannot be asked whether it was queued), and the copy carries the same
    Message-ID, so mail clients show the two as one message (decision 0005)."""
    box = new_box()
    sales, team = dovecot.add_user(), dovecot.add_user()
    proxy = fault_proxy(postfix.plain_auth_port)  # plaintext, so the proxy can see the reply
    await _mailbox(db, box, sales, postfix, dovecot, port=proxy.port, tls="none")
    await _channel(db, box, team.address)
    await service.enqueue(db, _alert(1))
    proxy.cut_when_server_sends(b"Ok: queued")

    driver = await _deliver(db, box, 1, 60)

    assert [e.outcome for e in driver.events] == ["retry", "sent"]
    first, second = await inbox(dovecot, team, 2)
    assert first["Message-ID"] == second["Message-ID"]
    assert await _states(db) == Counter({"done": 1})
