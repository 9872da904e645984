"""From fetched messages to committed rows, with the costs overlapped instead of added up.

Measured per message on the bench corpus: parsing ~1.3 ms (pure Python, holds the GIL), compressing and
writing ~0.1 ms, committing a group well under 0.1 ms, receiving and decoding TLS ~0.3 ms. Done one after
another, a pass managed 210 msg/s; one thread or process hand-off per message, 340. Here:

* fetched bodies are handed to the workers in **tasks** of a few dozen messages (or a few MB): each task
  writes the blobs and parses the metadata where the bytes already are (:func:`~mailwarden.archive.ingest
  .prepare`), in a **process** pool — the only way to use a second core for pure-Python work — or on a
  thread when a pass is too small to be worth starting processes. The pass's own process keeps only the
  connection and the database;
* tasks make up **groups** (``batch_messages`` / ``batch_bytes``); a full group is made durable and
  committed by a background task while the next groups fill. Commits run one after another, in UID
  order; up to :data:`PENDING_GROUPS` groups may wait for theirs, which bounds memory. (With one, the
  connection sat idle two thirds of a 10,000-message pass, waiting for a group's workers and commit
  before it could start the next.)

Durability is unchanged: a group's rows are committed only after its blobs are synced (see
:func:`mailwarden.archive.service.store_batch`), and the folder's state only after every group.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailwarden.archive import service
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.ingest import Item, Prepared, prepare
from mailwarden.archive.models import Folder
from mailwarden.archive.pool import pool_workers, worker_pool
from mailwarden.core.errors import ProtocolError
from mailwarden.db.engine import Database
from mailwarden.imap.items import FetchResult
from mailwarden.imap.literals import Literal
from mailwarden.sync.flags import archived_flags

__all__ = ["PROCESS_POOL_THRESHOLD", "StorePipeline", "parse_pool", "pool_workers"]

#: fewer messages than this are parsed on a thread: starting worker processes costs about 0.3 s
PROCESS_POOL_THRESHOLD = 300
#: messages (or bytes) per worker task: enough to make the hand-off cheap, few enough to keep both
#: workers busy and the last task of a group short
TASK_MESSAGES = 25
TASK_BYTES = 4 * 1024 * 1024
#: groups handed over and not yet committed before fetching waits (each holds at most ``batch_bytes`` of
#: bodies in memory; bigger bodies are spooled to files)
PENDING_GROUPS = 3


def parse_pool(messages: int) -> concurrent.futures.ProcessPoolExecutor | None:
    """A pool of workers for a large pass (see :mod:`mailwarden.archive.pool`)."""
    if messages < PROCESS_POOL_THRESHOLD or pool_workers() < 2:
        return None
    # the parser too: imported once in the fork server rather than in every worker's first task
    return worker_pool(["mailwarden.archive.ingest", "mailwarden.mime"])


@dataclass
class _Facts:
    """What the FETCH response said about a message besides its body."""

    flags: list[str]
    internal_date: datetime | None
    modseq: int | None


@dataclass
class _Group:
    tasks: list[tuple[asyncio.Future[list[Prepared]], list[Literal]]] = field(default_factory=list)
    facts: dict[int, _Facts] = field(default_factory=dict)
    bytes: int = 0


class StorePipeline:
    def __init__(
        self,
        db: Database,
        store: BlobStore,
        folder: Folder,
        pool: concurrent.futures.Executor | None,
        *,
        batch_messages: int,
        batch_bytes: int,
        on_commit: Callable[[int], None],
    ) -> None:
        self.db, self.store, self.folder, self.pool = db, store, folder, pool
        self.batch_messages, self.batch_bytes = batch_messages, batch_bytes
        self.on_commit = on_commit
        self._items: list[Item] = []
        self._bodies: list[Literal] = []
        self._task_bytes = 0
        self._group = _Group()
        self._commits: collections.deque[asyncio.Task[None]] = collections.deque()

    async def add(self, result: FetchResult) -> None:
        """Take ownership of ``result`` (its spooled body is removed once stored and parsed)."""
        body = result.body
        if body is None:
            raise ProtocolError(detail=f"the server sent no body for UID {result.uid}")
        if body.path is None:
            item = Item(result.uid, data=bytes(body))
        else:
            item = Item(result.uid, path=str(body.path), sha256=body.sha256)
        self._items.append(item)
        self._bodies.append(body)
        self._task_bytes += body.size
        group = self._group
        group.facts[result.uid] = _Facts(archived_flags(result.flags), result.internal_date, result.modseq)
        group.bytes += body.size
        if len(self._items) >= TASK_MESSAGES or self._task_bytes >= TASK_BYTES:
            self._submit()
        if len(group.facts) >= self.batch_messages or group.bytes >= self.batch_bytes:
            await self._flush()

    def _submit(self) -> None:
        if not self._items:
            return
        items, bodies = self._items, self._bodies
        self._items, self._bodies, self._task_bytes = [], [], 0
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.pool, prepare, str(self.store.root), self.store.level, items)
        self._group.tasks.append((future, bodies))

    async def _flush(self) -> None:
        self._submit()
        group, self._group = self._group, _Group()
        commits = self._commits
        while commits and commits[0].done():
            commits.popleft().result()  # a failed commit stops the fetching at once
        if len(commits) >= PENDING_GROUPS:
            await commits.popleft()
        if group.tasks:
            previous = commits[-1] if commits else None
            commits.append(asyncio.create_task(self._store(group, previous)))

    async def _store(self, group: _Group, previous: asyncio.Task[None] | None) -> None:
        prepared = await _finish(group)
        if previous is not None:
            await asyncio.shield(previous)  # in order; and a failure before this group fails it too
        copies = []
        for chunk in prepared:
            for done in chunk:
                facts = group.facts[done.uid]
                copies.append(
                    service.ArchivedCopy(
                        uid=done.uid,
                        blob=done.blob,
                        flags=facts.flags,
                        internal_date=facts.internal_date,
                        modseq=facts.modseq,
                        meta=done.meta,
                    )
                )
        self.store.track(c.blob.sha256 for c in copies)
        stored = await service.store_batch(self.db, self.store, self.folder, copies)
        self.on_commit(stored)

    async def send(self) -> None:
        """Hand what is left to the workers and start its commit, without waiting for it to end."""
        await self._flush()

    async def close(self) -> None:
        """Commit what is left and wait for it."""
        await self._flush()
        while self._commits:
            await self._commits.popleft()

    async def abort(self) -> None:
        """After a failure: let what is in flight end, and remove the spooled bodies."""
        self._submit()
        group, self._group = self._group, _Group()
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(_finish(group))]
        # commits under way are let finish: each is whole or nothing anyway
        waits.extend(self._commits)
        self._commits.clear()
        await asyncio.gather(*waits, return_exceptions=True)


async def _finish(group: _Group) -> list[list[Prepared]]:
    """Every task's result, in order; the bodies are discarded once their task is over, whatever happened.

    A task is never cancelled half-way: a worker may be reading a spooled body, which must not be removed
    under it.
    """

    def discard(_: object = None) -> None:
        for _task, bodies in group.tasks:
            for body in bodies:
                body.discard()

    gathered = asyncio.gather(*(future for future, _ in group.tasks), return_exceptions=True)
    try:
        outcomes = await asyncio.shield(gathered)
    finally:
        if gathered.done():
            discard()
        else:  # we were cancelled: the bodies go when the workers are done with them
            gathered.add_done_callback(discard)
    results: list[list[Prepared]] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return results
