"""A lab account with the awkward mail a restore must survive, archived by the real ``mailwarden`` command.

Folders INBOX, Sent and 客户/重要; flags (system and keywords); explicit internal dates; a message without a
Message-ID; two different messages sharing one Message-ID; bodies with ``From `` and ``>From `` lines.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from datetime import datetime

from mailwarden.imap import utf7

from cli_runner import CLI
from lab.dovecot import Dovecot, MailUser

FOLDERS = ("INBOX", "Sent", "客户/重要")


def raw(subject: str, body: str, message_id: str | None = None) -> bytes:
    head = f"From: Buyer <buyer@customer.example>\r\nTo: sales@example.test\r\nSubject: {subject}\r\n"
    if message_id is not None:
        head += f"Message-ID: {message_id}\r\n"
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


@dataclass(frozen=True)
class Seed:
    folder: str
    raw: bytes
    flags: tuple[str, ...]
    date: str  # IMAP date-time

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


SEEDS = (
    Seed("INBOX", raw("询盘 FOB", "Please quote.\n", "<q1@x>"), ("\\Seen",), "01-Mar-2024 09:15:00 +0800"),
    Seed("INBOX", raw("no id", "A message without a Message-ID.\n"), (), "02-Mar-2024 10:00:00 +0000"),
    Seed("INBOX", raw("same id A", "first body\n", "<dup@x>"), ("\\Flagged",), "03-Mar-2024 11:00:00 +0000"),
    Seed(
        "INBOX", raw("same id B", "second body\n", "<dup@x>"), ("$Forwarded",), "04-Mar-2024 12:00:00 +0000"
    ),
    Seed(
        "INBOX",
        raw("from lines", "Hi,\nFrom here on we ship by sea.\n>From the quote:\n>>From x\nFrom \n", "<f@x>"),
        ("\\Seen", "\\Answered"),
        "05-Mar-2024 13:00:00 -0500",
    ),
    Seed(
        "Sent",
        raw("报价 reply", "CIF Hamburg.\n", "<r1@x>"),
        ("\\Seen", "$Label1"),
        "06-Mar-2024 14:00:00 +0000",
    ),
    Seed(
        "客户/重要",
        raw("信用证", "L/C at sight.\n", "<lc@x>"),
        ("\\Seen", "\\Draft"),
        "07-Mar-2024 15:00:00 +0800",
    ),
    Seed("客户/重要", raw("no newline at end", "last line", "<nl@x>"), (), "08-Mar-2024 16:00:00 +0000"),
)


def imap(dovecot: Dovecot, user: MailUser) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context)
    client.login(user.address, user.password)
    return client


def quoted(folder: str) -> str:
    return '"' + utf7.encode(folder).decode("ascii") + '"'


def seed(dovecot: Dovecot, user: MailUser) -> None:
    for folder in FOLDERS[1:]:
        dovecot.create_folder(user.address, folder)
    client = imap(dovecot, user)
    try:
        for s in SEEDS:
            flags = f"({' '.join(s.flags)})" if s.flags else None
            typ, data = client.append(quoted(s.folder), flags, f'"{s.date}"', s.raw)
            assert typ == "OK", data
    finally:
        client.logout()


@dataclass(frozen=True)
class Seen:
    """One message on the server: the hash of BODY.PEEK[], its flags and its internal date."""

    sha256: str
    flags: frozenset[str]
    internal_date: datetime


def server_view(dovecot: Dovecot, user: MailUser, folder: str) -> list[Seen]:
    client = imap(dovecot, user)
    try:
        typ, _ = client.select(quoted(folder), readonly=True)
        assert typ == "OK"
        typ, data = client.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
        assert typ == "OK"
        seen = []
        for part in data:
            if not isinstance(part, tuple):
                continue
            head, body = part
            flags = frozenset(f.decode() for f in imaplib.ParseFlags(head)) - {"\\Recent"}
            found = re.search(rb'INTERNALDATE "([^"]+)"', head)
            assert found is not None, head
            when = datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
            seen.append(Seen(hashlib.sha256(body).hexdigest(), flags, when))
        return sorted(seen, key=lambda s: s.sha256)
    finally:
        client.logout()


def add_mailbox(cli: CLI, dovecot: Dovecot, user: MailUser, name: str) -> None:
    result = cli(
        "mailbox", "add", name, "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", dovecot.host, "--smtp-port", "25", "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=user.password,
    )  # fmt: skip
    assert result.code == 0, result.output


def expected(folder: str) -> list[Seen]:
    return sorted(
        (
            Seen(s.sha256, frozenset(s.flags), datetime.strptime(s.date, "%d-%b-%Y %H:%M:%S %z"))
            for s in SEEDS
            if s.folder == folder
        ),
        key=lambda s: s.sha256,
    )
