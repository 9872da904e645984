"""A team inbox on the lab: sales@ on Dovecot (IMAP) and Postfix (submission), a customer with a mailbox
of their own, an agent, and the real archive sync and ingest in between.

``ReplyLab.inquiry()`` delivers a customer's mail to sales@ by LMTP, syncs and ingests it; ``send()`` runs
one pass of the outgoing worker; ``customer_copies()`` and ``sent_copies()`` read what arrived over IMAP.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import ssl
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from mailwarden.access.service import add_agent
from mailwarden.archive.blobstore import BlobStore, blob_store
from mailwarden.core.secrets import SecretBox, SecretValue, generate_key
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox.ingest import IngestReport, ingest, load_team
from mailwarden.inbox.models import Conversation, ConversationMessage
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.inbox.outgoing import Pass, send_pass
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.mailboxes import service as mailboxes
from mailwarden.mailboxes.models import Mailbox
from mailwarden.sync.service import run_sync

from lab.dovecot import Dovecot, MailUser

POLL_ATTEMPTS, POLL_PAUSE = 100, 0.05  # Postfix → LMTP → Dovecot takes ~0.1 s


def inquiry_mail(customer: str, subject: str, *, reply_to: str | None = None, body: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = f"Anna Weber <{customer}>"
    message["To"] = "Sales <sales@example.test>"
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(time.time() - 3600)
    message["Message-ID"] = f"<{uuid.uuid4().hex}@weber.example>"
    message.set_content(body or "Please send your price list for LED panels.\n\nAnna Weber\nBerlin\n")
    return message.as_bytes(policy=email.policy.SMTP)


@dataclass
class Copy:
    raw: bytes
    flags: str

    @property
    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.raw)


@dataclass
class ReplyLab:
    db: Database
    settings: Settings
    dovecot: Dovecot
    sales: MailUser
    customer: MailUser
    mailbox: Mailbox
    store: BlobStore
    agents: list[str] = field(default_factory=list)

    @classmethod
    async def create(
        cls,
        db: Database,
        tmp_path: Path,
        dovecot: Dovecot,
        postfix: Any,
        *,
        smtp_port: int | None = None,
        smtp_tls: str = "starttls",
        credential_ref: str | None = None,
        **replies: Any,
    ) -> ReplyLab:
        key = generate_key()
        settings = Settings(
            data_dir=tmp_path,
            secret_key=key,
            inbox={"replies": {"timeout": 10.0, "backoff_base": 60.0, **replies}},
        )
        sales, customer = dovecot.add_user(), dovecot.add_user()
        spec = mailboxes.MailboxSpec(
            name="sales",
            address=sales.address,
            username=sales.address,
            imap_host=dovecot.host,
            imap_port=dovecot.imaps_port,
            imap_tls="implicit",
            smtp_host=postfix.host,
            smtp_port=smtp_port or postfix.submission_port,
            smtp_tls=smtp_tls,
            ca_file=Path(postfix.ca_file),
            allow_plaintext=smtp_tls == "none",
        )
        box = SecretBox.from_text(key, "test")
        if credential_ref:
            mailbox = await mailboxes.add_mailbox(db, spec, ref=credential_ref)
        else:
            mailbox = await mailboxes.add_mailbox(db, spec, box=box, secret=sales.password)
        lab = cls(db, settings, dovecot, sales, customer, mailbox, blob_store(settings.archive_dir))
        await lab.agent("alice")
        return lab

    async def agent(self, name: str) -> None:
        await add_agent(self.db, name, f"{name}@example.test")
        self.agents.append(name)

    @property
    def keys(self) -> list[bytes]:
        return SecretBox.from_text(self.settings.secret_key.get_secret_value(), "test").derive(  # type: ignore[union-attr]
            KEY_PURPOSE
        )

    async def sync_and_ingest(self) -> IngestReport:
        await run_sync(self.db, self.store, self.mailbox, SecretValue(self.sales.password))
        team = await load_team(self.db, self.keys)
        return await ingest(self.db, self.store, team)

    async def inquiry(self, subject: str = "LED panels price list", **options: Any) -> int:
        """The customer writes to sales@; archived and ingested: the conversation's id."""
        self.dovecot.deliver(self.sales.address, inquiry_mail(self.customer.address, subject, **options))
        report = await self.sync_and_ingest()
        assert report.outcomes["opened"] + report.outcomes["attached"] >= 1, report.as_dict()
        async with self.db.session() as session:
            found = await session.scalar(select(func.max(Conversation.id)))
        assert found is not None
        return int(found)

    async def send(self) -> Pass:
        return await send_pass(self.db, self.settings)

    async def outgoing(self, outgoing_id: int) -> Outgoing:
        async with self.db.session() as session:
            row = await session.get(Outgoing, outgoing_id)
        assert row is not None
        return row

    async def make_due(self, outgoing_id: int) -> None:
        """Skip the back-off: the next pass takes the reply."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(Outgoing).where(Outgoing.id == outgoing_id).values(run_after=Outgoing.created_at)
            )

    async def messages(self, conversation_id: int) -> list[ConversationMessage]:
        async with self.db.session() as session:
            return list(
                await session.scalars(
                    select(ConversationMessage)
                    .where(ConversationMessage.conversation_id == conversation_id)
                    .order_by(ConversationMessage.id)
                )
            )

    def _imap(self, user: MailUser) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.dovecot.ca_file))
        imap = imaplib.IMAP4_SSL(self.dovecot.host, self.dovecot.imaps_port, ssl_context=context, timeout=10)
        imap.login(user.address, user.password)
        return imap

    def copies(self, user: MailUser, folder: str, *, at_least: int = 0) -> list[Copy]:
        """Every message in ``folder``; polls (bounded) until there are ``at_least``."""
        with self._imap(user) as imap:
            for _ in range(POLL_ATTEMPTS):
                imap.select(folder, readonly=True)
                _, found = imap.search(None, "ALL")
                numbers = found[0].split()
                if len(numbers) >= at_least:
                    break
                time.sleep(POLL_PAUSE)
            out = []
            for number in numbers:
                _, fetched = imap.fetch(number, "(FLAGS BODY.PEEK[])")
                head, raw = fetched[0]  # type: ignore[misc]
                out.append(Copy(bytes(raw), head.decode()))
            return out

    def customer_copies(self, *, at_least: int = 0) -> list[Copy]:
        return self.copies(self.customer, "INBOX", at_least=at_least)

    def sent_copies(self) -> list[Copy]:
        return self.copies(self.sales, "Sent")

    def file_in_sent(self, raw: bytes) -> None:
        """What Gmail or Microsoft 365 do with submitted mail: a copy in Sent, by the provider."""
        with self._imap(self.sales) as imap:
            typ, data = imap.append("Sent", "(\\Seen)", None, raw)
            assert typ == "OK", data
