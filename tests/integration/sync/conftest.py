"""Fixtures: an archive for a fresh lab account."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mailwarden.archive.blobstore import BlobStore
from mailwarden.db.engine import Database
from mailwarden.db.migrate import upgrade
from mailwarden.mailboxes.models import Mailbox, new_uid

from archive_env import Archive
from lab.dovecot import Dovecot, MailUser


@pytest.fixture
async def archive(tmp_path: Path, dovecot: Dovecot, mail_user: MailUser) -> AsyncIterator[Archive]:
    db = Database(f"sqlite:///{tmp_path / 'mw.db'}")
    await upgrade(db)
    mailbox = Mailbox(
        uid=new_uid(), name="sales", address=mail_user.address, username=mail_user.address,
        imap_host=dovecot.host, imap_port=dovecot.imaps_port, imap_tls="implicit", smtp_host=dovecot.host,
        smtp_port=25, smtp_tls="starttls", ca_file=str(dovecot.ca_file), credential_ref="env:UNUSED",
    )  # fmt: skip
    async with db.session() as session:
        session.add(mailbox)
        await session.commit()
    yield Archive(db, BlobStore(tmp_path / "blobs"), mailbox, mail_user, dovecot)
    await db.dispose()
