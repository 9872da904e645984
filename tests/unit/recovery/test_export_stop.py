"""export_items with a real blob store: a stop or a failure leaves nothing under the final name."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailwarden.archive.blobstore import BlobStore
from mailwarden.recovery.export import export_items
from mailwarden.recovery.selection import Item


def items_in(store: BlobStore, count: int) -> list[Item]:
    items = []
    for uid in range(1, count + 1):
        ref = store.put(f"Subject: {uid}\r\n\r\nbody {uid}\r\n".encode())
        items.append(
            Item(
                row_id=uid,
                mailbox="m",
                folder="INBOX",
                delimiter="/",
                uidvalidity=7,
                uid=uid,
                sha256=ref.sha256,
                size=ref.size,
                flags=("\\Seen",),
                internal_date=datetime(2024, 1, 1, tzinfo=UTC),
                message_id=None,
                from_addr=None,
                gone=False,
            )
        )
    store.sync()
    return items


@pytest.mark.parametrize("fmt", ["eml-zip", "mbox", "maildir"])
def test_a_stop_between_messages_removes_the_partial_export(tmp_path: Path, fmt: str) -> None:
    store = BlobStore(tmp_path / "blobs")
    items = items_in(store, 5)
    stop = threading.Event()
    written: list[int] = []

    def on_message(item: Item) -> None:
        written.append(item.uid)
        if len(written) == 3:
            stop.set()

    out = tmp_path / "out"
    with pytest.raises(asyncio.CancelledError):
        export_items(store, items, fmt, out, on_message, stop)
    assert written == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]


def test_a_missing_blob_is_a_storage_error_and_removes_the_partial_export(tmp_path: Path) -> None:
    from mailwarden.core.errors import StorageError

    store = BlobStore(tmp_path / "blobs")
    items = items_in(store, 2)
    store.path_for(items[1].sha256).unlink()
    with pytest.raises(StorageError):
        export_items(store, items, "maildir", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]


def test_a_temporary_name_the_file_system_refuses_is_a_storage_error(tmp_path: Path) -> None:
    from mailwarden.core.errors import StorageError

    store = BlobStore(tmp_path / "blobs")
    items = items_in(store, 1)
    # a legal final name whose temporary sibling is too long for the file system (ENAMETOOLONG): root may
    # write anywhere, so this is the failure a test can cause
    with pytest.raises(StorageError, match=r"cannot write the export|File name too long"):
        export_items(store, items, "maildir", tmp_path / ("x" * 250))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]
