"""The parts ``mailwarden worker`` runs, and how they wake each other.

    IDLE watcher (one per mailbox) ──archived──► index follower
                                    └─archived──► ingest ──placed──► SLA timers, assignment queue
    reply queued (API, CLI) ──outgoing──► outgoing sender
    notify worker (polls its outbox: alerts come from every part and every process)

Wake-ups inside one process are :class:`~.runtime.Signal` s, so a message that arrives by IDLE is archived,
placed, assigned and alerted within the same second. Work done by *another* process (an ``archive sync``
run by cron, a second worker on PostgreSQL) is picked up by each loop's ``fallback`` poll — a check for
new rows, not a sweep over everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.archive.blobstore import BlobStore, blob_store
from mailwarden.core.errors import ConflictError
from mailwarden.core.secrets import SecretBox
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox.ingest import ingest, team_for
from mailwarden.inbox.place import Placed
from mailwarden.inbox.prepare import warm_up
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.mailboxes import service as mailboxes
from mailwarden.mailboxes.models import Mailbox
from mailwarden.mailboxes.record import credential
from mailwarden.notify.transports.http import HTTP
from mailwarden.notify.worker import Worker, WorkerOptions
from mailwarden.search.indexer import catch_up
from mailwarden.search.store import IndexStore
from mailwarden.sync.watch import WatchOptions, watch
from mailwarden.workers.runtime import Part, Signal

__all__ = ["Signals", "WorkerConfig", "build_parts", "chain"]

log = logging.getLogger(__name__)

Hook = Callable[[AsyncSession, Placed], Awaitable[None]]


def chain(hooks: Sequence[Hook]) -> Hook:
    """One hook running ``hooks`` in order (the ingest takes one)."""

    async def on_placed(session: AsyncSession, placed: Placed) -> None:
        for hook in hooks:
            await hook(session, placed)

    return on_placed


@dataclass
class Signals:
    #: one signal per waiter: a Signal wakes the one part that waits on it
    archived: Signal = field(default_factory=Signal)
    to_index: Signal = field(default_factory=Signal)
    #: called after an ingest pass placed messages (the SLA worker's wake-up)
    placed: list[Callable[[], None]] = field(default_factory=list)
    #: a conversation closed or an agent came back: the assignment queue may move
    queue: Signal = field(default_factory=Signal)


@dataclass(frozen=True)
class WorkerConfig:
    """What to run. ``sync``: the IDLE watchers (off when another process keeps the archive current)."""

    sync: bool = True
    notify: bool = True
    #: seconds between checks for work other processes left (rows archived by a cron ``archive sync``)
    fallback: float = 15.0
    reconcile_every: float = 15 * 60.0


def _watcher(
    db: Database,
    store: BlobStore,
    box: SecretBox | None,
    mailbox: Mailbox,
    signals: Signals,
    config: WorkerConfig,
) -> Part:
    async def run(stop: asyncio.Event) -> None:
        def on_pass(record: object, outcome: object) -> None:
            if getattr(record, "stored", 0):
                signals.archived.set()
                signals.to_index.set()

        options = WatchOptions(reconcile_every=config.reconcile_every)
        task = asyncio.create_task(
            watch(db, store, mailbox, lambda: credential(mailbox, box), options=options, on_pass=on_pass)
        )
        await stop.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return run


def _indexer(db: Database, settings: Settings, signals: Signals, config: WorkerConfig) -> Part:
    async def run(stop: asyncio.Event) -> None:
        store = IndexStore(settings.search_dir)
        blobs = blob_store(settings.archive_dir)
        while not stop.is_set():
            with contextlib.suppress(ConflictError):  # another process is indexing: it takes these rows
                await catch_up(db, blobs, store)
            await signals.to_index.wait(stop, config.fallback)

    return run


def _ingester(
    db: Database,
    settings: Settings,
    box: SecretBox,
    signals: Signals,
    config: WorkerConfig,
    hooks: Sequence[Hook],
) -> Part:
    on_placed = chain(hooks)

    async def run(stop: asyncio.Event) -> None:
        keys = box.derive(KEY_PURPOSE)
        blobs = blob_store(settings.archive_dir)
        first = True
        while not stop.is_set():
            team = await team_for(db, keys, settings.inbox)
            if first:
                await asyncio.to_thread(warm_up, team)
                first = False
            report = await ingest(db, blobs, team, batch=settings.inbox.batch, on_placed=on_placed)
            if report.read:
                for listener in signals.placed:
                    listener()
            await signals.archived.wait(stop, config.fallback)

    return run


def _notifier(db: Database, settings: Settings, box: SecretBox) -> Part:
    async def run(stop: asyncio.Event) -> None:
        options = WorkerOptions(
            poll=settings.notify.poll, allow_private_targets=settings.notify.allow_private_targets
        )
        http = HTTP(timeout=settings.notify.timeout)
        try:
            await Worker(db, box, http, options).run(stop)
        finally:
            await http.aclose()

    return run


async def build_parts(
    db: Database,
    settings: Settings,
    box: SecretBox,
    signals: Signals,
    config: WorkerConfig,
    *,
    hooks: Sequence[Hook] = (),
    extra: dict[str, Part] | None = None,
) -> dict[str, Part]:
    """The parts for these settings: a watcher per mailbox, the index follower, the ingest, notify."""
    parts: dict[str, Part] = {}
    if config.sync:
        store = blob_store(settings.archive_dir)
        for mailbox in await mailboxes.list_mailboxes(db):
            needs_box = mailbox.credential_secret is not None
            parts[f"sync:{mailbox.name}"] = _watcher(
                db, store, box if needs_box else None, mailbox, signals, config
            )
    if settings.search.index_on_sync:
        parts["index"] = _indexer(db, settings, signals, config)
    parts["ingest"] = _ingester(db, settings, box, signals, config, hooks)
    if config.notify:
        parts["notify"] = _notifier(db, settings, box)
    parts.update(extra or {})
    return parts
