"""Helpers for the IMAP tests against the lab's Dovecot: sessions, messages, and a second (read-write) hand.

The client under test never selects a folder read-write. Changes the tests need on the server (expunge, flags)
are made by :class:`OtherClient`, a raw second session that does what another mail program would.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mailwarden.imap import IMAPClient, Raw

TIMEOUT = 20.0

#: what LMTP puts in front of a delivered message (Dovecot adds Return-Path and Received)
_TRACE = re.compile(
    rb"(?:(?:Return-Path|Received|Delivered-To|X-Original-To):[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)*"
)


async def login(dovecot: Any, user: Any, **options: Any) -> IMAPClient:
    options = {"ca_file": dovecot.ca_file, "timeout": TIMEOUT, **options}
    client = await IMAPClient.open(dovecot.host, dovecot.imaps_port, tls="implicit", **options)
    await client.authenticate(user.address, user.password)
    return client


@dataclass(frozen=True)
class Sent:
    """A message as delivered: its bytes and their sha256."""

    message_id: str
    raw: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def make_message(number: int, size: int, *, seed: int = 0) -> Sent:
    """A message of about ``size`` bytes, CRLF line ends, random base64 body (incompressible, like mail)."""
    message_id = f"<lab-{seed}-{number}@example.test>"
    head = (
        f"From: Lab <lab@example.test>\r\nTo: team@example.test\r\nSubject: 询盘 {number}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    noise = random.Random(seed * 100_000 + number).randbytes(max(size - len(head), 0) * 3 // 4)
    encoded = base64.b64encode(noise)
    lines = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    return Sent(message_id, head + lines + b"\r\n")


def deliver_all(dovecot: Any, address: str, messages: list[Sent]) -> None:
    """LMTP, eight at a time (the order of arrival, and so of UIDs, is the server's business)."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda m: dovecot.deliver(address, m.raw), messages))


def as_delivered(stored: bytes) -> bytes:
    """The message without the trace fields the delivery put in front of it."""
    match = _TRACE.match(stored)
    assert match is not None and match.end() > 0, stored[:200]
    return stored[match.end() :]


def message_id_of(raw: bytes) -> str:
    match = re.search(rb"^Message-ID: (\S+)\r$", raw, re.M | re.I)
    assert match is not None
    return match[1].decode()


class OtherClient:
    """Another mail program on the same mailbox: it selects read-write and changes things."""

    def __init__(self, client: IMAPClient) -> None:
        self.client = client

    @classmethod
    async def open(cls, dovecot: Any, user: Any, folder: str = "INBOX") -> OtherClient:
        client = await login(dovecot, user)
        await client.connection.execute("SELECT", folder)
        return cls(client)

    async def store(self, uids: str, change: str, *flags: str) -> None:
        await self.client.connection.execute(
            "UID STORE", Raw(uids.encode()), Raw(change.encode()), [Raw(f.encode()) for f in flags]
        )

    async def expunge(self, uids: str) -> None:
        await self.store(uids, "+FLAGS.SILENT", "\\Deleted")
        await self.client.connection.execute("UID EXPUNGE", Raw(uids.encode()))

    async def close(self) -> None:
        await self.client.logout()
