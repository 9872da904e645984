"""Live mode: IDLE on INBOX, a pass for each change, a full reconcile every so often, reconnect on failure.

One owner: the mailbox's lease is held for the whole watch. A lost connection, a server restart or a
transient refusal is recorded (each failed pass is a :class:`SyncRun` with its error), logged, and retried
with exponential back-off; a permanent refusal (a changed password) is retried at the longest interval, so
the archive resumes by itself once someone fixes the credential. Cancelling the task stops it cleanly:
IDLE is ended with DONE, the session logged out, the lease released.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import SyncRun
from mailwarden.core import clock
from mailwarden.core.errors import MailwardenError
from mailwarden.core.secrets import SecretValue
from mailwarden.db.engine import Database
from mailwarden.mailboxes.connect import open_imap
from mailwarden.mailboxes.models import Mailbox
from mailwarden.sync.engine import PassOutcome, SyncOptions
from mailwarden.sync.service import holder_id, mailbox_lease, recorded_pass, sync_limits

__all__ = ["WatchOptions", "watch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchOptions:
    folder: str = "INBOX"
    #: seconds between full passes over every folder (changes elsewhere, flags without CONDSTORE)
    reconcile_every: float = 15 * 60.0
    backoff_first: float = 1.0
    backoff_max: float = 300.0
    step_timeout: float = 60.0
    compress: bool = False


OnPass = Callable[[SyncRun, PassOutcome], None]
OnError = Callable[[MailwardenError, float], None]


async def _session(
    db: Database,
    store: BlobStore,
    mailbox: Mailbox,
    secret: SecretValue,
    options: WatchOptions,
    sync_options: SyncOptions,
    on_pass: OnPass | None,
) -> None:
    """One connection's life: a full pass, then IDLE until something changes or a reconcile is due."""
    async with await open_imap(
        mailbox,
        secret,
        step_timeout=options.step_timeout,
        compress=options.compress,
        limits=sync_limits(store),
    ) as client:
        next_full = 0.0
        while True:
            full = clock.monotonic() >= next_full
            only = None if full else {options.folder}
            run, outcome = await recorded_pass(db, store, client, mailbox, options=sync_options, only=only)
            if full:
                next_full = clock.monotonic() + options.reconcile_every
            if on_pass:
                on_pass(run, outcome)
            seen = next((f.uidnext for f in outcome.folders if f.name == options.folder), None)
            selected = await client.examine(options.folder)
            if selected.uidnext != seen or client.take_events():
                continue  # mail arrived between the pass and now: IDLE would not announce it again
            async with client.idle() as idle:
                wait = max(0.0, next_full - clock.monotonic())
                event = await idle.next(timeout=wait)
                if event is not None:
                    log.debug("%s changed on the server (%s)", options.folder, type(event).__name__)


async def watch(
    db: Database,
    store: BlobStore,
    mailbox: Mailbox,
    secret: Callable[[], SecretValue],
    *,
    options: WatchOptions | None = None,
    sync_options: SyncOptions | None = None,
    on_pass: OnPass | None = None,
    on_error: OnError | None = None,
) -> None:
    """Keep the archive of ``mailbox`` current until cancelled. ``secret`` is asked again on each reconnect,
    so a credential fixed meanwhile (or a rotated reference) is picked up."""
    options = options or WatchOptions()
    sync_options = sync_options or SyncOptions()
    delay = options.backoff_first
    store.clean_temporary()
    async with mailbox_lease(db, mailbox, holder_id()):
        while True:
            started = clock.monotonic()
            try:
                await _session(db, store, mailbox, secret(), options, sync_options, on_pass)
            except MailwardenError as exc:
                if clock.monotonic() - started > options.backoff_max:
                    delay = options.backoff_first  # it had been working for a while: start over
                pause = options.backoff_max if exc.permanent else delay
                pause *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography
                log.warning("watching %s failed (%s); again in %.0f s", mailbox.name, exc.kind, pause)
                if on_error:
                    on_error(exc, pause)
                await asyncio.sleep(pause)
                delay = min(delay * 2, options.backoff_max)
            else:  # the session ended without an error: the server closed it politely
                delay = options.backoff_first
                await asyncio.sleep(delay)
