"""Keeping the index up to date: catch up from a cursor after each sync, rebuild on ``archive reindex``.

The archive's message rows are consumed in id order from the cursor in the generation's ``state.json``.
Each batch is committed to the index first and the cursor written after: a crash in between re-indexes that
batch, and every document is replaced by row id (delete, then add, in one commit), so nothing is indexed
twice. A rebuild writes a fresh generation and skips the deletes.

On PostgreSQL, concurrent transactions can commit row ids out of order: a batch may see id 101 before the
transaction holding 100 commits. Ids the cursor passes without seeing are kept as *holes* and looked for
again on later runs, until ``HOLE_PATIENCE`` has passed (a rolled-back insert leaves a gap for good): the
logic is :mod:`mailwarden.archive.holes`, shared with the team inbox's ingest.

Parsing bodies and reading attachments is pure-Python work, so a large batch is spread over worker
processes (:mod:`mailwarden.archive.pool`); a few new messages after a sync are done on a thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import Select, func, select

from mailwarden.archive import holes as holes_
from mailwarden.archive.blobstore import BlobStore
from mailwarden.archive.holes import HOLE_PATIENCE
from mailwarden.archive.models import Message
from mailwarden.archive.purged import purged_row_ids
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, StorageError
from mailwarden.db.engine import Database
from mailwarden.search import work
from mailwarden.search.store import IndexState, IndexStore

__all__ = ["BATCH", "HOLE_PATIENCE", "IndexReport", "catch_up", "rebuild"]

#: rows read from the database and committed to the index at a time
BATCH = 2000
#: rows per worker task
TASK_ROWS = 50
#: fewer new rows than this are indexed on a thread (starting worker processes costs ~0.3 s)
POOL_THRESHOLD = 400

Progress = Callable[[int, int], None]


@dataclass
class IndexReport:
    generation: str
    indexed: int
    problems: int
    cursor: int
    seconds: float
    rebuilt: bool = False


_Row = Select[int, int, int, str, datetime | None, str | None, str | None, str | None, datetime | None]


def _rows() -> _Row:
    return select(
        Message.id,
        Message.mailbox_id,
        Message.folder_id,
        Message.sha256,
        Message.internal_date,
        Message.subject,
        Message.from_addr,
        Message.from_name,
        Message.purged_at,
    )


def _writer(index: tantivy.Index, heap: int) -> tantivy.IndexWriter:
    try:
        return index.writer(heap_size=heap, num_threads=2)
    except ValueError as exc:  # tantivy's LockBusy: another process is writing this generation
        raise ConflictError("search.busy") from exc


class _Run:
    def __init__(
        self, db: Database, blobs: BlobStore, index: tantivy.Index, state: IndexState, *, fresh: bool
    ) -> None:
        self.db, self.blobs_root, self.index, self.state, self.fresh = db, blobs.root, index, state, fresh
        self.indexed = 0
        self.problems = 0
        self.pool: Any = None

    async def _pending(self) -> int:
        async with self.db.session() as session:
            count = await session.scalar(select(func.count()).where(Message.id > self.state.cursor))
        return int(count or 0) + holes_.pending_count(self.state.holes)

    async def _fetch(self, after: int, holes: Sequence[list[Any]]) -> list[Any]:
        query = _rows().where(holes_.pending(after, holes))
        async with self.db.session() as session:
            return list((await session.execute(query.order_by(Message.id).limit(BATCH))).all())

    async def _build(self, rows: Sequence[Any]) -> list[work.Built]:
        facts = [work.facts_of(row) for row in rows]
        root = str(self.blobs_root)
        if self.pool is None and len(rows) >= POOL_THRESHOLD:
            from mailwarden.archive.pool import pool_workers, worker_pool

            if pool_workers() > 1:
                self.pool = worker_pool(["mailwarden.search.work"])
        if self.pool is None:
            return await asyncio.to_thread(work.build_many, root, facts)
        loop = asyncio.get_running_loop()
        chunks = [facts[i : i + TASK_ROWS] for i in range(0, len(facts), TASK_ROWS)]
        try:
            done = await asyncio.gather(
                *(loop.run_in_executor(self.pool, work.build_many, root, chunk) for chunk in chunks)
            )
        except BrokenProcessPool as exc:  # a worker was killed (the OOM killer, say): nothing was committed
            raise StorageError("search.worker_died", permanent=False, detail=str(exc)) from exc
        return [built for chunk in done for built in chunk]

    async def run(self, generation: Path, store: IndexStore, progress: Progress | None) -> None:
        total = await self._pending()
        writer = _writer(self.index, 256_000_000 if self.fresh else 64_000_000)
        try:
            while True:
                after = self.state.cursor
                rows = await self._fetch(after, self.state.holes)
                if not rows:
                    break
                # a purged row gets no document, and its old one goes with the batch's replacements
                built = await self._build([row for row in rows if row.purged_at is None])
                await asyncio.to_thread(self._write, writer, built, [row.id for row in rows])
                self.state.cursor, self.state.holes = holes_.advance(
                    after, self.state.holes, (row.id for row in rows)
                )
                store.write_state(generation, self.state)
                if progress is not None:
                    progress(len(rows), total)
                if len(rows) < BATCH:
                    break  # everything after the cursor, and every hole that showed up, is done
            await self._drop_purged(writer, generation, store)
        except BaseException:
            writer.rollback()
            raise
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        # lets pending segment merges finish and gives the writer's lock back
        await asyncio.to_thread(writer.wait_merging_threads)

    async def _drop_purged(self, writer: tantivy.IndexWriter, generation: Path, store: IndexStore) -> None:
        """Remove the documents of rows purged since the last run (``archive purge run``). Looked for with
        an overlap of :data:`HOLE_PATIENCE`: a purge that committed late is not missed; a second delete is
        free."""
        now = clock.now()
        since = None
        if self.state.purged_cursor is not None:
            since = datetime.fromisoformat(self.state.purged_cursor) - timedelta(seconds=HOLE_PATIENCE)
        async with self.db.session() as session:
            purged = await purged_row_ids(session, since)
        if purged:
            await asyncio.to_thread(self._write, writer, [], purged)
        self.state.purged_cursor = now.isoformat()
        store.write_state(generation, self.state)

    def _write(
        self, writer: tantivy.IndexWriter, built: Sequence[work.Built], replaced: Sequence[int]
    ) -> None:
        found: list[dict[str, Any]] = []
        if not self.fresh and replaced:
            # replace: a delete applies to the documents added before it, so the new ones stay. (By query:
            # tantivy-py's delete_documents_by_term makes a signed term for a Python int and deletes nothing
            # from an unsigned field; tests/integration/cli/test_archive_search.py would catch a return.)
            ids = tantivy.Query.term_set_query(self.index.schema, "row_id", list(replaced))
            writer.delete_documents_by_query(ids)
        for item in built:
            writer.add_document(work.to_document(item.fields))
            found.extend({"row_id": item.row_id, **problem} for problem in item.problems)
        try:
            writer.commit()
        except ValueError as exc:
            raise StorageError("search.unwritable", permanent=False, path="", detail=str(exc)) from exc
        self.indexed += len(built)
        self.problems += len(found)
        self.state.add_problems(found)


async def catch_up(
    db: Database, blobs: BlobStore, store: IndexStore, *, progress: Progress | None = None
) -> IndexReport:
    """Index the rows archived since the last run (creating the index on first use)."""
    started = time.perf_counter()
    generation = store.current()
    if generation is None:
        return await rebuild(db, blobs, store, progress=progress)
    generation, index, state = store.open(generation)
    run = _Run(db, blobs, index, state, fresh=False)
    await run.run(generation, store, progress)
    return IndexReport(
        generation.name, run.indexed, run.problems, state.cursor, time.perf_counter() - started
    )


async def rebuild(
    db: Database, blobs: BlobStore, store: IndexStore, *, progress: Progress | None = None
) -> IndexReport:
    """Build a new generation from the whole archive and make it current when complete."""
    started = time.perf_counter()
    generation = store.create()
    _, index, state = store.open(generation)
    run = _Run(db, blobs, index, state, fresh=True)
    await run.run(generation, store, progress)
    store.publish(generation)
    return IndexReport(
        generation.name, run.indexed, run.problems, state.cursor, time.perf_counter() - started, rebuilt=True
    )
