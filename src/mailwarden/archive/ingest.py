"""The per-message work of archiving — hash, compress, write the blob, parse the metadata — in one function
that a worker process can run on a chunk of messages.

Why a chunk and why in the worker: a pass's own process has the connection to serve, and every hand-off to
a thread or a process costs a wake-up and a pickle. Measured on the bench corpus, one task per message
spent more time in those hand-offs than in compressing; one task per few dozen messages, doing both the
blob and the parse where the bytes already are, leaves the pass's process with the network and the
database only.

The worker writes blobs but does not make them durable: the pass's process does (one ``syncfs`` per group,
:meth:`BlobStore.track` then :meth:`BlobStore.sync`), before it commits the rows that point at them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from mailwarden.archive.blobstore import BlobRef, BlobStore
from mailwarden.archive.meta import MessageMeta, meta_of

__all__ = ["Item", "Prepared", "exit_with", "prepare"]


class Item(NamedTuple):
    """One fetched body: in memory (``data``) or spooled to ``path`` with its hash known (``sha256``).

    A named tuple because every one is pickled to a worker: half the cost of a slotted dataclass."""

    uid: int
    data: bytes | None = None
    path: str | None = None
    sha256: str | None = None


class Prepared(NamedTuple):
    """What a worker sends back for an item (unpickled in the pass's own process, hence a tuple too)."""

    uid: int
    blob: BlobRef
    meta: MessageMeta


@dataclass(frozen=True, slots=True)
class _File:
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        return self.path.open("rb")


_stores: dict[tuple[str, int], BlobStore] = {}


def _store(root: str, level: int) -> BlobStore:
    """One store per worker process (its compressor and the folders it made are worth keeping)."""
    key = (root, level)
    store = _stores.get(key)
    if store is None:
        store = _stores[key] = BlobStore(Path(root), level=level)
    return store


def prepare(root: str, level: int, items: Sequence[Item]) -> list[Prepared]:
    """Store and parse each item. A storage failure raises (``StorageError``); parsing never does."""
    store = _store(root, level)
    prepared = []
    for item in items:
        if item.data is not None:
            blob = store.write(item.data)
            meta = meta_of(item.data)
        elif item.path is not None:
            path = Path(item.path)
            blob = store.write(_File(path), expected_sha256=item.sha256)
            meta = meta_of(path)
        else:
            raise ValueError(f"item {item.uid} has neither bytes nor a file")
        prepared.append(Prepared(item.uid, blob, meta))
    return prepared


def exit_with(owner: int) -> None:
    """Worker initializer: end this process when the process ``owner`` (the pass) ends, however it ends.

    Needed because a pass killed with SIGKILL (or by the OOM killer) would otherwise leave its workers and
    the multiprocessing fork server running forever: each worker holds both ends of its task queue, so it
    never reads end-of-file, and the fork server's "parent alive" pipe, so the server never does either.

    Also freezes what the imports made (see :func:`gc.freeze`): the collector then leaves it alone.
    """
    gc.freeze()
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)  # already gone
    except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): look every second
        threading.Thread(target=_poll, args=(owner,), name="exit-with-owner", daemon=True).start()
        return
    threading.Thread(target=_wait, args=(handle,), name="exit-with-owner", daemon=True).start()


def _wait(handle: int) -> None:
    select.select([handle], [], [])  # readable once the process has exited
    os._exit(1)


def _poll(owner: int) -> None:
    while True:
        time.sleep(1.0)
        with contextlib.suppress(PermissionError):  # exists, but not ours to signal: still alive
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(1)
