"""One pass over one mailbox: every folder compared with the archive, what is new fetched and stored.

Read-only by construction: folders are opened with EXAMINE and bodies fetched with BODY.PEEK[] (the client
offers nothing else), so the source's flags, \\Seen state and contents are the same before and after.

Per folder:
1. skip it when STATUS (from LIST-STATUS: one round trip for the whole mailbox) matches what we saved at the
   end of the last complete pass — the no-change resync costs one command;
2. EXAMINE; list the server's UIDs (ESEARCH keeps a 100,000-message answer to a few ranges);
3. tombstone what vanished (a mass disappearance raises an alert — the copies stay either way);
4. record flag changes (CHANGEDSINCE with CONDSTORE, a full flag listing without);
5. fetch what is missing, pipelined, in groups that are made durable before their rows are committed;
6. only then save the folder's state. A crash anywhere before 6 repeats the folder from 2, storing nothing
   twice. Steps 5's last groups and 6 overlap the next folder's 1-5.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from mailwarden.archive import service
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.models import Folder
from mailwarden.core import clock
from mailwarden.db.engine import Database
from mailwarden.imap.client import IMAPClient
from mailwarden.imap.selected import SelectedFolder
from mailwarden.imap.uidset import UidSet
from mailwarden.sync.flags import archived_flags
from mailwarden.sync.folders import FolderPlan, reconcile_folders
from mailwarden.sync.skip import unchanged

if TYPE_CHECKING:
    from mailwarden.sync.pipeline import StorePipeline

__all__ = ["FolderOutcome", "PassOutcome", "Progress", "SyncOptions", "sync_pass"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOptions:
    batch_messages: int = 200
    batch_bytes: int = 32 * 1024 * 1024
    fetch_depth: int = 4
    fetch_chunk: int = 128
    #: share of a folder's archived copies that may vanish at once before a person is alerted
    mass_disappearance_ratio: float = 0.2
    mass_disappearance_min: int = 10
    #: ignore the STATUS shortcut: look at every folder (flag changes on servers without CONDSTORE)
    full: bool = False


@dataclass
class FolderOutcome:
    name: str
    skipped: bool = False
    fetched: int = 0
    fetched_bytes: int = 0
    stored: int = 0
    tombstoned: int = 0
    flag_changes: int = 0
    #: the folder's UIDNEXT as this pass saw it: what the archive is complete up to
    uidnext: int | None = None


@dataclass
class PassOutcome:
    folders: list[FolderOutcome] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(int(getattr(f, attribute)) for f in self.folders)


Progress = Callable[[str, FolderOutcome, int], None]
"""Called as (folder name, outcome so far, messages to fetch in this folder)."""


def _unchanged(plan: FolderPlan) -> bool:
    return unchanged(plan.server.status, plan.row)


class _FolderPass:
    def __init__(
        self,
        db: Database,
        store: BlobStore,
        client: IMAPClient,
        plan: FolderPlan,
        options: SyncOptions,
        progress: Progress | None,
        pools: _Pools,
    ) -> None:
        self.db, self.store, self.client, self.plan, self.options = db, store, client, plan, options
        self.progress = progress
        self.pools = pools
        self.outcome = FolderOutcome(plan.server.name)

    async def run(self) -> Coroutine[Any, Any, None] | None:
        """Everything up to the last fetch; returns what is left (committing the last groups, then saving
        the folder's state) for the caller to await — while the next folder is already being fetched —
        or None when nothing is left."""
        row = self.plan.row
        if not self.options.full and _unchanged(self.plan):
            self.outcome.skipped = True
            self.outcome.uidnext = row.uidnext
            return None
        selected = await self.client.examine(self.plan.server)
        if selected.uidvalidity != row.uidvalidity:
            # changed between LIST and EXAMINE: the next pass handles the new generation
            log.warning("folder %s changed UIDVALIDITY during the pass; left for the next one", row.name)
            return None
        server_uids = await self.client.uid_search("ALL") if selected.exists else UidSet()
        async with self.db.session() as session:
            live = await service.live_copies(session, row)
        await self._tombstone(server_uids, live)
        await self._flags(server_uids, live, selected.highest_modseq)
        missing = [uid for uid in server_uids if uid not in live]
        pipeline = await self._fetch(UidSet.of(missing))
        return self._finish(pipeline, selected)

    async def _finish(self, pipeline: StorePipeline | None, selected: SelectedFolder) -> None:
        """Commit what is in flight, then — only then — save the folder's state."""
        if pipeline is not None:
            try:
                await pipeline.close()
            except BaseException:
                await pipeline.abort()
                raise
        row = self.plan.row
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(Folder)
                .where(Folder.id == row.id)
                .values(
                    uidnext=selected.uidnext,
                    highest_modseq=selected.highest_modseq,
                    server_messages=selected.exists,
                    last_synced_at=clock.now(),
                )
            )
        row.uidnext, row.highest_modseq = selected.uidnext, selected.highest_modseq
        self.outcome.uidnext = selected.uidnext
        row.server_messages, row.last_synced_at = selected.exists, clock.now()

    async def _tombstone(self, server_uids: UidSet, live: dict[int, service.CopyState]) -> None:
        gone = [state for uid, state in live.items() if uid not in server_uids]
        if not gone:
            return
        o = self.options
        if len(gone) >= max(o.mass_disappearance_min, o.mass_disappearance_ratio * len(live)):
            await service.alert(
                self.db,
                self.plan.row.mailbox_id,
                "mass_disappearance",
                self.plan.row.name,
                vanished=len(gone),
                archived=len(live),
                sample_uids=[s.uid for s in gone[:20]],
            )
            log.warning(
                "folder %s: %d of %d messages vanished at once", self.plan.row.name, len(gone), len(live)
            )
        self.outcome.tombstoned = await service.tombstone(self.db, [s.row_id for s in gone], "expunged")

    async def _flags(
        self, server_uids: UidSet, live: dict[int, service.CopyState], modseq: int | None
    ) -> None:
        known = UidSet.of(uid for uid in server_uids if uid in live)
        if not known:
            return
        since = self.plan.row.highest_modseq if modseq is not None else None
        if since is not None and since == modseq:
            return  # nothing changed since the last pass
        changes = await self.client.uid_fetch_flags(known, changedsince=since)
        updates = []
        for update_ in changes.updates:
            state = live.get(update_.uid) if update_.uid is not None else None
            if state is None or update_.flags is None:
                continue
            flags = archived_flags(update_.flags)
            if tuple(flags) != state.flags:
                updates.append((state, flags, update_.modseq))
        self.outcome.flag_changes = await service.record_flag_changes(self.db, updates)

    async def _fetch(self, missing: UidSet) -> StorePipeline | None:
        """Fetch ``missing`` into a pipeline; returns it with its last groups possibly still in flight."""
        if not missing:
            return None
        # the pipeline (workers, the MIME parser) is imported only when there is something to fetch:
        # a no-change pass never pays for it
        from mailwarden.sync.pipeline import StorePipeline

        if self.progress:
            self.progress(self.plan.row.name, self.outcome, len(missing))

        def committed(stored: int) -> None:
            self.outcome.stored += stored
            if self.progress:
                self.progress(self.plan.row.name, self.outcome, 0)

        pipeline = StorePipeline(
            self.db,
            self.store,
            self.plan.row,
            self.pools.get(len(missing)),
            batch_messages=self.options.batch_messages,
            batch_bytes=self.options.batch_bytes,
            on_commit=committed,
        )
        results = self.client.uid_fetch(
            missing, depth=self.options.fetch_depth, chunk_size=self.options.fetch_chunk
        )
        try:
            async with contextlib.aclosing(results) as stream:
                async for result in stream:
                    self.outcome.fetched += 1
                    self.outcome.fetched_bytes += result.body.size if result.body is not None else 0
                    await pipeline.add(result)
            await pipeline.send()
        except BaseException:
            await pipeline.abort()
            raise
        return pipeline


class _Pools:
    """The pass's parser processes, started on first need and shut down with the pass."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._warming: asyncio.Future[None] | None = None

    def get(self, messages: int) -> concurrent.futures.ProcessPoolExecutor | None:
        from mailwarden.sync.pipeline import PROCESS_POOL_THRESHOLD, parse_pool

        if self.pool is None and max(messages, self.expected) >= PROCESS_POOL_THRESHOLD:
            self.pool = parse_pool(max(messages, self.expected))
        return self.pool

    def warm_up(self) -> None:
        """When the pass will need workers, start them now, on a thread: starting the fork server and
        each worker blocks the caller for ~0.1 s, which the event loop then spends on the first folders."""
        if self.expected <= 0:
            return  # nothing to fetch: not even the pipeline's module is loaded
        pool = self.get(0)
        if pool is None or self._warming is not None:
            return
        from mailwarden.sync.pipeline import pool_workers

        workers = pool_workers()

        def spawn() -> None:
            for done in [pool.submit(os.getpid) for _ in range(workers)]:
                done.result()

        self._warming = asyncio.ensure_future(asyncio.to_thread(spawn))

    async def close(self) -> None:
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)  # a broken pool shows in its tasks
            self._warming = None
        if self.pool is not None:
            await asyncio.to_thread(self.pool.shutdown, wait=True, cancel_futures=True)
            self.pool = None


async def sync_pass(
    db: Database,
    store: BlobStore,
    client: IMAPClient,
    mailbox_id: int,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    only: set[str] | None = None,
) -> PassOutcome:
    """Compare every folder (or those named in ``only``) with the archive and bring the archive up to date."""
    options = options or SyncOptions()
    if "CONDSTORE" in client.capabilities:
        await client.enable("CONDSTORE")
    listed = await client.list_folders(with_status=True)
    plans = await reconcile_folders(db, mailbox_id, listed)
    outcome = PassOutcome()
    # Parser processes pay off on a big pass; decide once, from what the server holds in changed folders
    # (every call in one process would otherwise fight the event loop for the GIL).
    expected = sum(
        (p.server.status.messages or 0) - (p.row.server_messages or 0)
        for p in plans
        if p.server.status is not None and (only is None or p.server.name in only) and not _unchanged(p)
    )
    pools = _Pools(expected)
    pools.warm_up()
    # A folder's tail (its last groups being stored, then its state saved) runs while the next folder is
    # fetched: waiting for it at every folder boundary left the workers idle for a quarter of a 10,000-
    # message pass. At most one tail is pending; the pass ends only when it has.
    tails: list[asyncio.Future[None]] = []
    try:
        for plan in plans:
            if only is not None and plan.server.name not in only:
                continue
            folder_pass = _FolderPass(db, store, client, plan, options, progress, pools)
            outcome.folders.append(folder_pass.outcome)
            rest = await folder_pass.run()
            if rest is not None:
                tails.append(asyncio.ensure_future(rest))
            # The other folder's news (EXISTS, EXPUNGE between commands) is not ours to act on: the next
            # pass sees its effect. Taking it keeps the connection's bounded backlog from filling.
            client.take_events()
            while len(tails) > 1:
                await tails.pop(0)
        while tails:
            await tails.pop(0)
    finally:
        # something failed while tails were pending: let them end (each commit is whole or nothing)
        for error in await asyncio.gather(*tails, return_exceptions=True):
            if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError):
                log.error("while stopping after an error, a folder's last commit failed too: %s", error)
        await pools.close()
    return outcome
