"""An archive filled the way ``archive sync`` fills it (blobs, then rows through ``store_batch``), so the
inbox ingest tests start from the same rows a real sync leaves; and the mail those tests write."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from mailwarden.archive import service
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.meta import meta_of
from mailwarden.archive.models import Folder
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox, new_uid

TOKEN_KEY = b"inbox ingest test key, 32 bytes!"
#: well in the past: a Date later than the server's receipt (the test's own clock) is not believed
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def mail(
    subject: str,
    *,
    sender: str = "Anna Weber <anna@weber-gmbh.de>",
    to: str = "sales@example.test",
    cc: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    at: datetime | None = None,
    body: str = "Please send your price list.\n\nBest regards\nAnna Weber\nBerlin, Germany\n",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A plain-text message; Message-ID ``<n@test>`` unless given (without brackets: they are added)."""
    message_id = message_id or f"m{next(_ids)}@test"
    lines = [
        f"From: {sender}",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: {subject}",
        f"Date: {format_datetime(at or START)}",
        f"Message-ID: <{message_id}>",
        *([f"In-Reply-To: <{in_reply_to}>"] if in_reply_to else []),
        *([f"References: {' '.join(f'<{r}>' for r in references)}"] if references else []),
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def later(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


@dataclass
class FilledArchive:
    """A mailbox with INBOX, Sent, Drafts and Spam folders whose archive the tests fill."""

    db: Database
    store: BlobStore
    mailbox: Mailbox
    folders: dict[str, Folder]
    uids: dict[str, itertools.count[int]] = field(default_factory=dict)

    @classmethod
    async def create(
        cls, db: Database, archive_dir: Path, *, name: str = "sales", address: str = "sales@example.test"
    ) -> FilledArchive:
        async with db.session() as session:
            mailbox = Mailbox(
                uid=new_uid(), name=name, address=address, username=address, imap_host="127.0.0.1",
                imap_port=993, imap_tls="implicit", smtp_host="127.0.0.1", smtp_port=465,
                smtp_tls="implicit", credential_ref="env:X",
            )  # fmt: skip
            session.add(mailbox)
            await session.flush()
            uses = {"INBOX": None, "Sent": "\\Sent", "Drafts": "\\Drafts", "Spam": None}  # Spam: by name
            folders = {
                name: Folder(mailbox_id=mailbox.id, name=name, uidvalidity=1, special_use=use)
                for name, use in uses.items()
            }
            session.add_all(folders.values())
            await session.commit()
        return cls(db, BlobStore(archive_dir / "blobs"), mailbox, folders)

    async def add(self, *raws: bytes, folder: str = "INBOX") -> None:
        """Archive ``raws`` in ``folder``, in this order (archive row ids increase)."""
        uids = self.uids.setdefault(folder, itertools.count(1))
        copies = [
            service.ArchivedCopy(
                uid=next(uids),
                blob=self.store.put(raw),
                flags=[],
                internal_date=None,
                modseq=None,
                meta=meta_of(raw),
            )
            for raw in raws
        ]
        await service.store_batch(self.db, self.store, self.folders[folder], copies)
