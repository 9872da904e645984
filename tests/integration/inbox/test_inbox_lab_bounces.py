"""Real bounces from the lab's Postfix, read back from the lab's Dovecot: they link to the message we sent.

The hand-written samples in tests/unit/inbox follow documented shapes; these are the shape a real MTA
writes today. Our reply goes out through Postfix's relay port; Postfix reports on it — a bounce when
Dovecot refuses the LMTP delivery to a full mailbox, a success notice when RFC 3461 ``NOTIFY=SUCCESS``
asked for one — and delivers the DSN to the sender's INBOX, where it is fetched over IMAP like any
archived message.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from mailwarden.inbox.bounces import read_bounce
from mailwarden.inbox.noise import classify
from mailwarden.inbox.threading import reply_headers
from mailwarden.inbox.tokens import verify_token
from mailwarden.mime import parse_message

KEY = b"lab token key, 32 bytes long...."
POLL_ATTEMPTS, POLL_PAUSE = 200, 0.1  # Postfix retries its queue every second here (queue_run_delay)


def _send(postfix: Any, sender: str, recipient: str, body: str, *, dsn: bool = False) -> str:
    """Our reply in conversation c7, sent from ``sender``; its Message-ID. ``dsn``: ask for a success
    notice returning the headers only (RFC 3461 ``NOTIFY=SUCCESS``, ``RET=HDRS``)."""
    headers = reply_headers(None, domain="example.test", conversation_id="c7", key=KEY)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Re: LED panel quotation"
    for name, value in headers.as_headers().items():
        message[name] = value
    message.set_content(body)
    with smtplib.SMTP(postfix.host, postfix.relay_port, timeout=30) as smtp:
        smtp.sendmail(
            sender,
            [recipient],
            message.as_bytes(policy=SMTP),
            mail_options=["RET=HDRS"] if dsn else [],
            rcpt_options=["NOTIFY=SUCCESS"] if dsn else [],
        )
    return headers.message_id


def _first_message(dovecot: Any, user: Any) -> bytes | None:
    """Poll INBOX, a bounded number of times, for any message; its raw bytes, or None if none came."""
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=10) as imap:
        imap.login(user.address, user.password)
        imap.select("INBOX", readonly=True)
        for _ in range(POLL_ATTEMPTS):
            _, found = imap.search(None, "ALL")
            numbers = found[0].split()
            if numbers:
                _, fetched = imap.fetch(numbers[0], "(BODY.PEEK[])")
                item = fetched[0]
                assert isinstance(item, tuple)
                return bytes(item[1])
            time.sleep(POLL_PAUSE)
            imap.noop()
    return None


def test_a_success_notice_is_a_report_on_our_message_not_a_failure(
    postfix: Any, dovecot: Any, mail_user: Any
) -> None:
    buyer = dovecot.add_user()
    message_id = _send(postfix, mail_user.address, buyer.address, "Dear buyer, our quotation.", dsn=True)
    raw = _first_message(dovecot, mail_user)
    assert raw is not None, "no delivery notice arrived"
    parsed = parse_message(raw)
    assert any(a.content_type == "text/rfc822-headers" for a in parsed.attachments)  # RET=HDRS

    verdict = classify(parsed)
    assert verdict.kind == "bounce"  # a delivery status notification: noise, never a conversation
    assert "rfc3464-report" in {item.means for item in verdict.evidence}
    report = read_bounce(parsed, raw)
    assert report is not None and report.format == "rfc3464"
    assert report.message_ids == (message_id,)
    (token,) = report.conversation_tokens
    assert verify_token(token, [KEY]) == "c7"
    (recipient,) = report.recipients
    # "relayed": Dovecot's LMTP does not offer DSN, so Postfix reports a hand-over (RFC 3464 2.3.3)
    assert (recipient.address, recipient.action) == (buyer.address, "relayed")
    assert recipient.status is not None and recipient.status.startswith("2.")
    assert not recipient.permanent and not report.permanent
    assert report.reporting_mta == "mail.example.test"


def test_a_full_mailbox_bounces_with_its_status(postfix: Any, dovecot: Any, mail_user: Any) -> None:
    full = dovecot.add_user(quota="*:storage=1K")
    message_id = _send(postfix, mail_user.address, full.address, "Dear buyer,\n" + "our quotation.\n" * 400)
    raw = _first_message(dovecot, mail_user)
    assert raw is not None, "no bounce arrived"
    parsed = parse_message(raw)

    assert classify(parsed).kind == "bounce"
    report = read_bounce(parsed, raw)
    assert report is not None and report.message_ids == (message_id,)
    (recipient,) = report.recipients
    assert recipient.address == full.address
    assert recipient.status == "5.2.2"  # Dovecot's LMTP: "552 5.2.2 Mailbox is full" (over quota)
    assert recipient.permanent
