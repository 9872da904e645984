"""Worker processes for pure-Python work on archived messages (parsing, text extraction).

``forkserver``: forking a process that has threads (SQLite, executors) could copy a held lock into the
child. The workers end with the process that started them, however it ends (:func:`ingest.exit_with`).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Sequence

from mailwarden.archive.ingest import exit_with

__all__ = ["pool_workers", "worker_pool"]


def pool_workers() -> int:
    """How many worker processes a pool has: one per CPU."""
    return os.cpu_count() or 1


def worker_pool(preload: Sequence[str]) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of :func:`pool_workers` processes, with ``preload`` imported once in the fork server rather
    than in every worker's first task (the fork server is shared: the first pool's list is the one used)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=pool_workers(), mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
    )
