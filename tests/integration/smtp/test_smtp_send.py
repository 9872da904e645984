"""Sending through the lab's Postfix, and seeing the message arrive over IMAP in the lab's Dovecot."""

import asyncio
import imaplib
import ssl
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest

from mailwarden.smtp import Password, SMTPError, SubmissionClient, SubmissionSettings

SettingsFactory = Callable[..., SubmissionSettings]

# How often, and how long between, to look for a delivered message (Postfix → LMTP → Dovecot takes ~0.1 s).
POLL_ATTEMPTS, POLL_PAUSE = 100, 0.1


def _message(sender: str, recipient: str) -> tuple[str, bytes]:
    message_id = f"<{uuid.uuid4().hex}@client.example.test>"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "询盘 – mailwarden submission test"
    message["Message-ID"] = message_id
    # an 8-bit UTF-8 body (BODY=8BITMIME) and a line that starts with a dot (dot-stuffing)
    message.set_content("您好，这是询盘回复。\n.a line that starts with a dot\n", cte="8bit")
    return message_id, message.as_bytes(policy=SMTP)


def _wait_for_message(dovecot: Any, user: Any, message_id: str) -> bytes | None:
    """Poll INBOX, a bounded number of times, for ``message_id``; its raw bytes, or None if it never came."""
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=10) as imap:
        imap.login(user.address, user.password)
        imap.select("INBOX", readonly=True)
        for _ in range(POLL_ATTEMPTS):
            _, found = imap.search(None, "HEADER", "Message-ID", message_id)
            numbers = found[0].split()
            if numbers:
                _, fetched = imap.fetch(numbers[0], "(BODY.PEEK[])")
                item = fetched[0]
                assert isinstance(item, tuple)
                return bytes(item[1])
            time.sleep(POLL_PAUSE)
            imap.noop()  # lets Dovecot tell us about new mail
    return None


async def test_a_sent_message_arrives_in_the_inbox(
    submission: SettingsFactory, dovecot: Any, mail_user: Any
) -> None:
    message_id, message = _message(mail_user.address, mail_user.address)

    async with SubmissionClient(submission()) as client:
        await client.login(Password(mail_user.address, mail_user.password))
        result = await client.send(message, mail_user.address, [mail_user.address])

    assert result.accepted == (mail_user.address,)
    assert result.refused == {}
    assert result.reply.code == 250
    arrived = await asyncio.to_thread(_wait_for_message, dovecot, mail_user, message_id)
    assert arrived is not None, "the message did not arrive in INBOX"
    assert "您好，这是询盘回复。".encode() in arrived
    assert b"\r\n.a line that starts with a dot\r\n" in arrived


async def test_a_partly_refused_message_reports_the_refusal_and_still_arrives(
    submission: SettingsFactory, dovecot: Any, mail_user: Any
) -> None:
    """GIVEN one lab recipient and one outside the lab domain (the lab Postfix refuses those at RCPT)
    THEN the message goes to the one, and the refusal of the other is in the result."""
    outsider = "someone@elsewhere.test"
    message_id, message = _message(mail_user.address, mail_user.address)

    async with SubmissionClient(submission()) as client:
        await client.login(Password(mail_user.address, mail_user.password))
        result = await client.send(message, mail_user.address, [outsider, mail_user.address])

    assert result.accepted == (mail_user.address,)
    refusal = result.refused[outsider]
    assert (refusal.code, refusal.enhanced, refusal.stage) == (550, "5.7.1", "rcpt")
    assert "Recipient address rejected" in refusal.text
    assert refusal.permanent is True
    assert [r.address for r in result.recipients] == [outsider, mail_user.address]
    arrived = await asyncio.to_thread(_wait_for_message, dovecot, mail_user, message_id)
    assert arrived is not None, "the message did not arrive in INBOX"


async def test_when_every_recipient_is_refused_each_refusal_is_kept(
    submission: SettingsFactory, mail_user: Any
) -> None:
    _, message = _message(mail_user.address, mail_user.address)

    async with SubmissionClient(submission()) as client:
        await client.login(Password(mail_user.address, mail_user.password))
        with pytest.raises(SMTPError) as caught:
            await client.send(message, mail_user.address, ["one@elsewhere.test", "two@[300.1.1.1]"])

    error = caught.value
    assert error.stage == "rcpt"
    assert error.key == "smtp.refused.all_rcpt"
    assert error.permanent is True
    assert {address: e.code for address, e in error.refused.items()} == {
        "one@elsewhere.test": 550,
        "two@[300.1.1.1]": 501,
    }
    assert error.refused["two@[300.1.1.1]"].enhanced == "5.1.3"


async def test_the_session_carries_another_message_after_a_refusal(
    submission: SettingsFactory, dovecot: Any, mail_user: Any
) -> None:
    """The envelope is reset after a refused send, so the same connection can send the next message."""
    message_id, message = _message(mail_user.address, mail_user.address)

    async with SubmissionClient(submission()) as client:
        await client.login(Password(mail_user.address, mail_user.password))
        with pytest.raises(SMTPError):
            await client.send(message, mail_user.address, ["one@elsewhere.test"])
        result = await client.send(message, mail_user.address, [mail_user.address])

    assert result.accepted == (mail_user.address,)
    assert await asyncio.to_thread(_wait_for_message, dovecot, mail_user, message_id) is not None
