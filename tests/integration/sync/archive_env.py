"""An archive (SQLite, blob store) for a fresh lab account, and a way to run passes over it."""

from __future__ import annotations

import email.utils
import imaplib
import ssl
import uuid
from dataclasses import dataclass

from mailwarden.archive.blobstore import BlobStore
from mailwarden.core.secrets import SecretValue
from mailwarden.db.engine import Database
from mailwarden.imap import utf7
from mailwarden.mailboxes.models import Mailbox
from mailwarden.sync.engine import PassOutcome, SyncOptions
from mailwarden.sync.service import run_sync

from lab.dovecot import Dovecot, MailUser


def make_message(
    subject: str, body: str = "Please quote FOB Ningbo.", message_id: str | None = None
) -> bytes:
    mid = message_id or f"<{uuid.uuid4().hex}@customer.example>"
    return (
        f"From: Buyer <buyer@customer.example>\r\nTo: sales@example.test\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.formatdate()}\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@dataclass
class Archive:
    db: Database
    store: BlobStore
    mailbox: Mailbox
    user: MailUser
    dovecot: Dovecot

    def append(self, folder: str, raw: bytes, flags: str = "") -> None:
        """Put a message into any folder, as another mail client would (IMAP APPEND)."""
        with self.imap() as imap:
            name = utf7.encode(folder).decode("ascii")
            typ, data = imap.append(f'"{name}"', f"({flags})" if flags else None, None, raw)
            assert typ == "OK", data

    def imap(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.dovecot.ca_file))
        imap = imaplib.IMAP4_SSL(self.dovecot.host, self.dovecot.imaps_port, ssl_context=context)
        imap.login(self.user.address, self.user.password)
        return imap

    async def sync(self, compress: bool = False, **options: object) -> PassOutcome:
        _, outcome = await run_sync(
            self.db,
            self.store,
            self.mailbox,
            SecretValue(self.user.password),
            options=SyncOptions(**options),  # type: ignore[arg-type]
            compress=compress,
        )
        return outcome
