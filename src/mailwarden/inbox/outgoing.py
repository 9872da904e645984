"""The outgoing worker: sends queued replies over SMTP, files them in Sent, and never loses or doubles one
without saying so.

One reply, as claimed from ``inbox_outgoing`` (:func:`mailwarden.db.queue.claim`: two workers never hold the
same row), goes by its ``status``:

* ``queued`` — commit ``sending`` (with the Message-ID, composed long before), then the SMTP session. The
  server accepted it: commit ``sent`` at once (and the outgoing inbox message), *then* file the copy.
  A permanent refusal (5xx, a wrong password, a certificate not trusted) makes it ``failed``; a temporary
  one (4xx, the network) sends it back to ``queued`` with exponential back-off, until
  ``max_attempts``.
* ``sending`` — in doubt: the last session died after the data may have been accepted (a crash, a kill,
  the connection cut before the server's final answer). Sending again blindly could give the customer the
  reply twice, so first the Sent folder (providers that save submitted mail there themselves: Gmail,
  Microsoft 365, QQ Mail) and the archive are searched for its Message-ID. Found: it was sent. Not found:
  ``[inbox.replies] in_doubt`` decides — ``resend`` (the default, what every MTA does, RFC 1047; the
  same bytes and Message-ID, so the customer's client and our inbox show one message) or ``hold``
  (``failed``, for an agent to retry). Decision 0017.
* ``sent`` — only the filing is left: the Sent folder is searched for the Message-ID first (a provider's
  own copy, or our APPEND that was cut off before its answer) and the copy APPENDed only when missing.
  Its failures are retried with back-off; the reply itself is never sent again.

``send_due`` is one pass (tests, ``inbox outgoing send``); ``run`` loops until ``stop``, woken early by
``wake`` when a reply is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from mailwarden.archive.models import Message
from mailwarden.core import clock
from mailwarden.core.errors import LeaseLost, MailwardenError, NetworkError, SystemFailure
from mailwarden.core.secrets import SecretValue, load_box
from mailwarden.core.settings import ReplySettings, Settings
from mailwarden.db import queue
from mailwarden.db.engine import Database
from mailwarden.inbox import outgoing_record as record
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.inbox.sent_folder import file_copy, find_sent, holds
from mailwarden.mailboxes.connect import open_imap
from mailwarden.mailboxes.models import Mailbox
from mailwarden.mailboxes.record import credential
from mailwarden.smtp import Credentials, OAuth2Token, Password, SubmissionClient, SubmissionSettings

__all__ = ["Pass", "next_due", "run", "send_due", "worker_name"]

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"reply:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Pass:
    """What one :func:`send_due` did, by outcome (sent, filed, retry, failed, in_doubt, lost)."""

    outcomes: dict[str, int]
    next_at: datetime | None

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)


@dataclass(frozen=True)
class _Account:
    mailbox: Mailbox
    secret: SecretValue


class _Job:
    """One claimed reply and what handling it needs."""

    def __init__(self, db: Database, settings: Settings, worker: str, row: Outgoing) -> None:
        self.db, self.settings, self.worker, self.row = db, settings, worker, row
        self.options: ReplySettings = settings.inbox.replies

    # -- the account -----------------------------------------------------------------------------------

    async def account(self) -> _Account:
        async with self.db.session() as session:
            mailbox = await session.get(Mailbox, self.row.mailbox_id)
        assert mailbox is not None  # RESTRICT: a mailbox with replies is never deleted
        s = self.settings
        box = None
        if mailbox.credential_secret is not None:
            box = load_box(s.secret_key.get_secret_value() if s.secret_key else None, s.key_file)
        return _Account(mailbox, credential(mailbox, box))

    # -- SMTP --------------------------------------------------------------------------------------------

    async def submit(self, account: _Account) -> str:
        mailbox, secret = account.mailbox, account.secret
        settings = SubmissionSettings(
            host=mailbox.smtp_host,
            port=mailbox.smtp_port,
            tls=mailbox.smtp_tls,  # type: ignore[arg-type]  # held to the three modes by a CHECK constraint
            ca_file=mailbox.ca_file,
            timeout=self.options.timeout,
            allow_plaintext=mailbox.allow_plaintext,
        )
        credentials: Credentials = (
            OAuth2Token(mailbox.username, secret.reveal())
            if mailbox.credential_kind == "oauth2_token"
            else Password(mailbox.username, secret.reveal())
        )
        async with SubmissionClient(settings) as client:
            await client.login(credentials)
            result = await client.send(self.row.raw, self.row.mail_from, self.row.rcpt_to)
        answer = str(result.reply)
        if result.refused:  # accepted for some: sending again would duplicate it for the others
            answer += " (refused: " + "; ".join(f"{a}: {e.reply}" for a, e in result.refused.items()) + ")"
        return answer

    # -- the steps ---------------------------------------------------------------------------------------

    async def handle(self) -> str:
        status = self.row.status
        if status == "sending":
            return await self.resolve_doubt()
        if status == "sent":
            return await self.file()
        return await self.send()

    async def send(self) -> str:
        try:
            account = await self.account()
        except MailwardenError as exc:
            return await self.failure(exc, stage="account")
        await record.mark_sending(self.db, self.row, self.worker)
        try:
            answer = await self.submit(account)
        except MailwardenError as exc:
            return await self.failure(exc, stage="smtp")
        await record.mark_sent(self.db, self.row, self.worker, smtp_reply=answer)
        return await self.file(account)

    async def resolve_doubt(self) -> str:
        try:
            account = await self.account()
        except MailwardenError as exc:
            return await self.failure(exc, stage="account")
        in_archive = await self.archived()
        try:
            in_sent = await self.in_sent(account)
        except MailwardenError as exc:
            if not in_archive:  # cannot tell: ask again later rather than guess
                return await self.failure(exc, stage="check", status="sending")
            in_sent = False
        if in_archive or in_sent:
            found = "sent_folder" if in_sent else "archive"
            await record.mark_sent(self.db, self.row, self.worker, smtp_reply="", found_in=found)
            return await self.file(account)
        if self.options.in_doubt == "hold":
            error = {
                "kind": "in_doubt",
                "key": "inbox.reply.in_doubt",
                "message": "the SMTP session ended before the server's answer to the message; "
                "not found in Sent or the archive",
                "permanent": True,
                "stage": "smtp",
            }
            await record.mark_failed(self.db, self.row, self.worker, error)
            return "failed"
        log.info("reply %s: not found after a session in doubt; sending it again", self.row.id)
        return await self.send()

    async def archived(self) -> bool:
        """Whether sync has archived a copy with this Message-ID (filed by a provider, seen in Sent)."""
        async with self.db.session() as session:
            found = await session.scalar(
                select(Message.id)
                .where(Message.mailbox_id == self.row.mailbox_id, Message.message_id == self.row.message_id)
                .limit(1)
            )
        return found is not None

    async def in_sent(self, account: _Account) -> bool:
        async with await open_imap(
            account.mailbox, account.secret, step_timeout=self.options.timeout
        ) as client:
            folder = await find_sent(client, self.options.sent_folder)
            found = await holds(client, folder, self.row.message_id)
            await client.logout()
        return found

    async def file(self, account: _Account | None = None) -> str:
        try:
            account = account or await self.account()
            async with await open_imap(
                account.mailbox, account.secret, step_timeout=self.options.timeout
            ) as client:
                folder = await find_sent(client, self.options.sent_folder)
                already = await holds(client, folder, self.row.message_id)
                if not already:
                    await file_copy(client, folder, self.row.raw, self.row.sent_at or clock.now())
                await client.logout()
        except MailwardenError as exc:
            return await self.failure(exc, stage="file", status="sent")
        await record.mark_filed(self.db, self.row, self.worker, folder=folder.name, already=already)
        return "filed"

    async def failure(self, exc: MailwardenError, *, stage: str, status: str | None = None) -> str:
        """Record ``exc``: retried with back-off when it may pass, else failed (see the module docstring)."""
        error = record.error_record(exc, stage=stage)
        if status is None:
            # the data went out and the answer never came back: the server may have taken it
            in_doubt = isinstance(exc, NetworkError) and exc.params.get("stage") == "data"
            status = "sending" if in_doubt else "queued"
        if status == "sending":
            error["in_doubt"] = True
        if exc.permanent and status != "sending":
            await record.mark_failed(self.db, self.row, self.worker, error)
            return "failed"
        if self.row.attempts >= self.options.max_attempts:
            error["gave_up_after"] = self.row.attempts
            await record.mark_failed(self.db, self.row, self.worker, error)
            return "failed"
        delay = record.backoff(self.row.attempts, self.options.backoff_base, self.options.backoff_cap)
        await record.mark_retry(self.db, self.row, self.worker, error, status=status, delay=delay)
        return "in_doubt" if status == "sending" else "retry"


async def next_due(db: Database) -> datetime | None:
    """When the next reply is due: the earliest ``run_after`` of a ready one, or the end of a claim held
    by a worker that may have died."""
    async with db.session() as session:
        ready = await session.scalar(select(func.min(Outgoing.run_after)).where(Outgoing.state == "ready"))
        held = await session.scalar(
            select(func.min(Outgoing.claimed_until)).where(Outgoing.state == "claimed")
        )
    found = [each for each in (ready, held) if each is not None]
    return min(found) if found else None


async def send_due(db: Database, settings: Settings, *, worker: str | None = None) -> datetime | None:
    """One pass: handle every reply due now; returns when the next one is due."""
    return (await send_pass(db, settings, worker=worker)).next_at


async def send_pass(db: Database, settings: Settings, *, worker: str | None = None) -> Pass:
    """:func:`send_due`, saying what happened to each reply.

    One reply is claimed at a time: a claim taken for a batch would run out while the replies before it
    wait on a slow server (another worker would then take it over; ``mark_sending`` would stop the first
    from sending too, but the work would be done twice).
    """
    worker = worker or worker_name()
    hold = timedelta(seconds=settings.inbox.replies.hold)
    outcomes: dict[str, int] = {}
    while rows := await queue.claim(db, Outgoing, worker, hold=hold, limit=1):
        (row,) = rows
        try:
            outcome = await _Job(db, settings, worker, row).handle()
        except LeaseLost as exc:
            log.warning("reply %s: %s (another worker took it over)", row.id, exc)
            outcome = "lost"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return Pass(outcomes, await next_due(db))


async def run(
    db: Database, settings: Settings, *, stop: asyncio.Event, wake: asyncio.Event | None = None
) -> None:
    """Send due replies until ``stop`` is set; sleep until the next is due, ``poll`` at most, or ``wake``.
    A reply under way is finished, never cut (that would leave it in doubt)."""
    poll = settings.inbox.replies.poll
    worker = worker_name()
    while not stop.is_set():
        try:
            next_at = await send_due(db, settings, worker=worker)
        except SystemFailure as exc:  # the database is away: say so, wait, try again
            log.warning("reply worker: %s", exc)
            next_at = None
        delay = poll if next_at is None else (next_at - clock.now()).total_seconds()
        await _sleep(max(0.05, min(poll, delay)), stop, wake)


async def _sleep(seconds: float, stop: asyncio.Event, wake: asyncio.Event | None) -> None:
    waits: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
    if wake is not None:
        waits.append(asyncio.create_task(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if wake is not None:
        wake.clear()
