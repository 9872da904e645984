"""Raw RFC 5322 bytes for the demo corpus: modern mail through the stdlib, legacy charsets and DSNs by hand.

Modern mail is built with ``EmailMessage`` under ``policy.SMTP`` (CRLF, folded headers, RFC 2047 words,
base64 or quoted-printable bodies). The stdlib cannot write a GB2312 or Big5 message the way old Chinese
clients do (encoded-word subject in that charset, an 8-bit body in it), nor a bounce laid out like a
real MTA's, so those two are written byte by byte here.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mailwarden.demo.corpus_model import DEMO_DOMAIN, SHARED_ADDRESS

__all__ = ["Attachment", "Mail", "Party", "dsn_bytes", "legacy_bytes", "mail_bytes"]

Party = tuple[str, str]  # (display name, address)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Mail:
    """What a message says, before it becomes bytes; ``date`` carries the sender's own UTC offset."""

    sender: Party
    to: Sequence[Party]
    subject: str
    date: datetime
    message_id: str  # without angle brackets
    text: str
    parent: Mail | None = None
    cc: Sequence[Party] = ()
    reply_to: Party | None = None
    html: str | None = None
    attachments: Sequence[Attachment] = ()
    headers: Sequence[tuple[str, str]] = ()
    references: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        if self.parent is not None:
            chain = (*self.parent.references, self.parent.message_id)
            object.__setattr__(self, "references", chain[-10:])  # long threads keep the newest ten

    @property
    def inbound(self) -> bool:
        return not self.sender[1].endswith("@" + DEMO_DOMAIN)


def _address(party: Party) -> Address:
    local, _, domain = party[1].partition("@")
    return Address(display_name=party[0], username=local, domain=domain)


def _trace(mail: Mail, *, return_path: str | None = None) -> bytes:
    """The headers the receiving server puts on top of an inbound message (RFC 5321 section 4.4)."""
    if not mail.inbound:
        return b""
    sender_domain = mail.sender[1].rpartition("@")[2]
    envelope = mail.sender[1] if return_path is None else return_path
    stamp = format_datetime(mail.date)
    return (
        f"Return-Path: <{envelope}>\r\n"
        f"Delivered-To: {SHARED_ADDRESS}\r\n"
        f"Received: from mail.{sender_domain} (mail.{sender_domain} [192.0.2.25])\r\n"
        f"\tby mx.{DEMO_DOMAIN} with ESMTPS id {mail.message_id[:12]}\r\n"
        f"\tfor <{SHARED_ADDRESS}>; {stamp}\r\n"
    ).encode("ascii")


def mail_bytes(mail: Mail, *, return_path: str | None = None, trace: bool = True) -> bytes:
    """``mail`` as CRLF bytes through the stdlib (UTF-8 text, optional HTML alternative and attachments).

    With ``trace`` an inbound message gets the headers of its delivery to sales@ (Return-Path, Received).
    """
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = _address(mail.sender)
    message["To"] = [_address(party) for party in mail.to]
    if mail.cc:
        message["Cc"] = [_address(party) for party in mail.cc]
    if mail.reply_to is not None:
        message["Reply-To"] = _address(mail.reply_to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = f"<{mail.message_id}>"
    if mail.parent is not None:
        message["In-Reply-To"] = f"<{mail.parent.message_id}>"
        message["References"] = " ".join(f"<{ref}>" for ref in mail.references)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    for name, value in mail.headers:  # after the content: set_content drops every Content-* header
        message[name] = value
    # the generator would draw boundaries from the random module's global state: name them from the id
    token = mail.message_id.partition("@")[0]
    for number, part in enumerate(part for part in message.walk() if part.is_multipart()):
        part.set_boundary(f"=_hd_{number}_{token}")
    head = _trace(mail, return_path=return_path) if trace else b""
    return head + message.as_bytes()


def _encoded_words(text: str, charset: str) -> str:
    """RFC 2047 B-words in ``charset``, a few characters each so no word passes 75 characters."""
    words = []
    for start in range(0, len(text), 12):
        chunk = base64.b64encode(text[start : start + 12].encode(charset)).decode("ascii")
        words.append(f"=?{charset.upper()}?B?{chunk}?=")
    return "\r\n ".join(words)


def legacy_bytes(mail: Mail, *, charset: str, mailer: str) -> bytes:
    """A plain-text message the way Foxmail or an old Outlook writes it: every Chinese byte in ``charset``.

    Display name and subject are encoded-words in ``charset``; the body is 8-bit ``charset`` bytes, so
    the raw message is not UTF-8 and only a reader honouring the label gets the text back.
    """
    name, address = mail.sender
    lines = [
        f"From: {_encoded_words(name, charset)} <{address}>",
        "To: " + ", ".join(f"{_encoded_words(n, charset) if n else ''} <{a}>".strip() for n, a in mail.to),
        f"Subject: {_encoded_words(mail.subject, charset)}",
        f"Date: {format_datetime(mail.date)}",
        f"Message-ID: <{mail.message_id}>",
    ]
    if mail.parent is not None:
        lines.append(f"In-Reply-To: <{mail.parent.message_id}>")
        lines.append("References: " + " ".join(f"<{ref}>" for ref in mail.references))
    lines += [
        f"X-Mailer: {mailer}",
        "MIME-Version: 1.0",
        f'Content-Type: text/plain; charset="{charset}"',
        "Content-Transfer-Encoding: 8bit",
    ]
    head = "\r\n".join(lines).encode("ascii") + b"\r\n\r\n"
    body = mail.text.replace("\r\n", "\n").replace("\n", "\r\n").encode(charset)
    return _trace(mail) + head + body + (b"" if body.endswith(b"\r\n") else b"\r\n")


def dsn_bytes(bounce: Mail, original: Mail, original_raw: bytes, *, recipient: str, status: str,
              diagnostic: str) -> bytes:  # fmt: skip
    """An RFC 3464 report from our MTA: a human part, message/delivery-status, text/rfc822-headers.

    ``original_raw`` is the message that could not be delivered; its header block is returned as the MTA
    does, so the archive can tie the bounce to the quotation it returns.
    """
    boundary = f"=_dsn_{bounce.message_id.partition('@')[0]}"
    header_block = original_raw.partition(b"\r\n\r\n")[0].decode("ascii")
    arrival = format_datetime(original.date)
    reporting = f"mx.{DEMO_DOMAIN}"
    remote = recipient.rpartition("@")[2]
    parts = [
        f"Return-Path: <>\r\nDelivered-To: {SHARED_ADDRESS}\r\n",
        f"From: Mail Delivery System <MAILER-DAEMON@{DEMO_DOMAIN}>\r\n",
        f"To: {SHARED_ADDRESS}\r\n",
        f"Subject: {bounce.subject}\r\n",
        f"Date: {format_datetime(bounce.date)}\r\n",
        f"Message-ID: <{bounce.message_id}>\r\n",
        "Auto-Submitted: auto-replied\r\n",
        "MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"\r\n',
        "\r\nThis is a MIME-encapsulated message.\r\n\r\n",
        f"--{boundary}\r\n",
        "Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
        bounce.text.replace("\n", "\r\n"),
        f"\r\n--{boundary}\r\n",
        "Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n",
        f"Reporting-MTA: dns; {reporting}\r\nX-Postfix-Queue-ID: 4Q{bounce.message_id[:8].upper()}\r\n",
        f"X-Postfix-Sender: rfc822; {SHARED_ADDRESS}\r\nArrival-Date: {arrival}\r\n\r\n",
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n",
        f"Action: failed\r\nStatus: {status}\r\nRemote-MTA: dns; mx.{remote}\r\n",
        f"Diagnostic-Code: smtp; {diagnostic}\r\n",
        f"\r\n--{boundary}\r\n",
        "Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n",
        header_block,
        f"\r\n\r\n--{boundary}--\r\n",
    ]
    return "".join(parts).encode("ascii")
