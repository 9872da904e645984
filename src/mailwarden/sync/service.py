"""A sync pass as the rest of mailwarden runs it: under the mailbox's lease, recorded as a run.

One owner per mailbox: the lease ``sync:mailbox:<id>`` is taken before connecting and renewed while the pass
runs; a second process finds it held and says so instead of syncing the same mailbox twice. Every run leaves
a row: how much it did, and — if it failed — the error's kind and message. A failure is never turned into
"nothing new".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import update

from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import SyncRun
from mailwarden.archive.seals import seal
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, MailwardenError
from mailwarden.core.secrets import SecretValue
from mailwarden.db import lease
from mailwarden.db.engine import Database
from mailwarden.imap.client import IMAPClient
from mailwarden.imap.parser import ParserLimits
from mailwarden.mailboxes.connect import open_imap
from mailwarden.mailboxes.models import Mailbox
from mailwarden.sync.engine import PassOutcome, Progress, SyncOptions, sync_pass
from mailwarden.sync.owner import LEASE_TTL, dead_here, holder_id, lease_name

__all__ = [
    "LEASE_TTL",
    "holder_id",
    "mailbox_lease",
    "recorded_pass",
    "run_sync",
    "sync_limits",
]

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def mailbox_lease(db: Database, mailbox: Mailbox, holder: str) -> AsyncIterator[None]:
    """Hold the mailbox's sync lease for the block; the block is cancelled if the lease is lost."""

    def busy(current: str | None) -> ConflictError:
        return ConflictError("sync.busy", name=mailbox.name, holder=current or "?")

    async with lease.held(db, lease_name(mailbox.id), holder, LEASE_TTL, dead=dead_here, busy=busy):
        yield


async def recorded_pass(
    db: Database,
    store: BlobStore,
    client: IMAPClient,
    mailbox: Mailbox,
    *,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    only: set[str] | None = None,
) -> tuple[SyncRun, PassOutcome]:
    """One pass on an open session, recorded as a :class:`SyncRun`; raises what went wrong, once recorded."""
    run = SyncRun(mailbox_id=mailbox.id)
    async with db.session() as session, session.begin():
        session.add(run)
    outcome = PassOutcome()
    status, error_kind, error = "failed", None, None
    try:
        outcome = await sync_pass(db, store, client, mailbox.id, options, progress, only)
        # the rows this pass committed join the archive's hash chain (decision 0010); a pass that stored
        # nothing finds nothing to seal in one query
        await seal(db)
        status = "ok"
        return run, outcome
    except MailwardenError as exc:
        error_kind, error = exc.kind, str(exc)
        raise
    except asyncio.CancelledError:
        error_kind, error = "cancelled", "the pass was stopped before it finished"
        raise
    except Exception as exc:  # a bug: recorded as such, then raised
        error_kind, error = "internal", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        values = {
            "finished_at": clock.now(),
            "status": status,
            "folders": len(outcome.folders),
            "folders_skipped": sum(1 for f in outcome.folders if f.skipped),
            "fetched": outcome.total("fetched"),
            "fetched_bytes": outcome.total("fetched_bytes"),
            "stored": outcome.total("stored"),
            "tombstoned": outcome.total("tombstoned"),
            "flag_changes": outcome.total("flag_changes"),
            "error_kind": error_kind,
            "error": error,
        }
        async with db.session() as session, session.begin():
            await session.execute(update(SyncRun).where(SyncRun.id == run.id).values(**values))
        for key, value in values.items():
            setattr(run, key, value)


def sync_limits(store: BlobStore) -> ParserLimits:
    """Bodies up to 1 MiB stay in memory (a group of them is bounded by ``SyncOptions.batch_bytes``); only
    the long tail of big attachments is spooled to a file (a file written, read back and removed per
    message cost more than the message itself), in the store's own folder for half-written files: on the
    archive's disk rather than in a /tmp that may be a small tmpfs, and cleaned after a crash with them."""
    return ParserLimits(spill_threshold=1024 * 1024, spool_dir=store.spool_dir)


async def run_sync(
    db: Database,
    store: BlobStore,
    mailbox: Mailbox,
    secret: SecretValue,
    *,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    holder: str | None = None,
    step_timeout: float = 60.0,
    compress: bool = False,
) -> tuple[SyncRun, PassOutcome]:
    """Take the mailbox's lease, log in, run one recorded pass, log out.

    A failure to connect or log in is recorded as a failed run too: it is the failure people most need to
    see, and the quick no-change check (:mod:`.quick`) reads the last run to know not to try a login that
    was just refused (a provider that locks an account after a few refusals must not get two per run).
    """
    store.clean_temporary()
    async with mailbox_lease(db, mailbox, holder or holder_id()):
        try:
            connection = await open_imap(
                mailbox, secret, step_timeout=step_timeout, compress=compress, limits=sync_limits(store)
            )
        except MailwardenError as exc:
            await _record_failed_login(db, mailbox, exc)
            raise
        async with connection as client:
            result = await recorded_pass(db, store, client, mailbox, options=options, progress=progress)
            await client.logout()
    return result


async def _record_failed_login(db: Database, mailbox: Mailbox, exc: MailwardenError) -> None:
    run = SyncRun(
        mailbox_id=mailbox.id, finished_at=clock.now(), status="failed", error_kind=exc.kind, error=str(exc)
    )
    async with db.session() as session, session.begin():
        session.add(run)
