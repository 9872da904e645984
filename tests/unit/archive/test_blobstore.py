import hashlib
import io
import os
from pathlib import Path

import pytest

from mailwarden.archive import blobstore
from mailwarden.archive.blobstore import BlobStore
from mailwarden.core.errors import StorageError


class FileSource:
    """Stands for the IMAP client's spooled literal: a size and an open()."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def open(self) -> io.BufferedReader:
        return self.path.open("rb")


def test_it_stores_the_exact_bytes_once_under_their_hash(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    raw = b"Subject: =?GB2312?B?0a/FzA==?=\r\n\r\n\xd1\xaf\xc5\xcc body\r\n" * 100
    first = store.put(raw)
    second = store.put(raw)
    assert first.sha256 == second.sha256 == hashlib.sha256(raw).hexdigest()
    assert first.size == len(raw)
    assert first.stored_size < len(raw)  # compressed
    assert store.read(first.sha256) == raw
    assert list(store.iter_shas()) == [first.sha256]
    assert store.verify(first.sha256)


def test_a_large_file_streams_through(tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes(b"Content-Type: application/pdf\r\n\r\n" + os.urandom(5 * 1024 * 1024))
    store = BlobStore(tmp_path / "blobs")
    ref = store.put(FileSource(big), expected_sha256=hashlib.sha256(big.read_bytes()).hexdigest())
    out = io.BytesIO()
    store.copy_to(ref.sha256, out)
    assert out.getvalue() == big.read_bytes()


def test_a_hash_that_does_not_match_what_was_fetched_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(StorageError, match="content hash changed"):
        store.put(b"abc", expected_sha256="0" * 64)
    assert list(store.iter_shas()) == []
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_tampered_blobs_fail_verification(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    ref = store.put(b"From: a@example.com\r\n\r\nhello\r\n")
    path = store.path_for(ref.sha256)
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF
    path.write_bytes(bytes(data))
    assert not store.verify(ref.sha256)


def test_sync_reports_what_it_made_durable(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    store.put(b"one")
    store.put(b"two")
    assert store.sync() == 2
    assert store.sync() == 0


def test_leftovers_of_a_crash_are_cleaned(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "tmp" / "x.part").write_bytes(b"half")
    assert store.clean_temporary() == 1


def test_without_syncfs_every_file_and_folder_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync
    monkeypatch.setattr(blobstore, "_LIBC", None)  # not Linux, or no syncfs in the C library

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(blobstore.os, "fsync", fsync)
    store = BlobStore(tmp_path)
    refs = [store.put(f"message {i}".encode()) for i in range(3)]
    assert store.sync() == 3
    files = {str(store.path_for(ref.sha256)) for ref in refs}
    assert files <= set(synced)
    assert {str(store.path_for(ref.sha256).parent) for ref in refs} <= set(synced)  # and their folders
    assert store.sync() == 0  # nothing left pending


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named temporary"])
def test_both_ways_of_writing_leave_only_the_blob(tmp_path: Path, unnamed: bool) -> None:
    """Blobs are written unnamed (O_TMPFILE, then linked) where the file system can, else through a named
    temporary file; either way the store ends with the blob alone, and writing it again replaces it whole."""
    store = BlobStore(tmp_path / "blobs")
    assert store._unnamed  # this lab's file system (ext4 or tmpfs) and kernel have O_TMPFILE
    store._unnamed = unnamed
    raw = b"From: buyer@example.com\r\nSubject: L/C\r\n\r\n" + os.urandom(3000)
    big = tmp_path / "big.eml"
    big.write_bytes(raw + os.urandom(200_000))
    refs = [store.put(raw), store.put(FileSource(big)), store.put(raw)]  # the third replaces the first
    assert refs[0] == refs[2]
    assert store._unnamed == unnamed  # the unnamed way was not quietly given up
    assert store.read(refs[0].sha256) == raw
    assert store.read(refs[1].sha256) == big.read_bytes()
    assert sorted(store.iter_shas()) == sorted({refs[0].sha256, refs[1].sha256})
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file() and not p.name.endswith(".zst")]
    assert leftovers == []
    assert store.path_for(refs[0].sha256).stat().st_size == refs[0].stored_size


def test_a_replacement_left_half_done_by_a_crash_is_cleaned(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    ref = store.put(b"hello")
    left = store.path_for(ref.sha256).with_name(".0123456789abcdef.part")
    left.write_bytes(b"half")
    assert store.clean_temporary() == 1
    assert not left.exists()
    assert store.read(ref.sha256) == b"hello"
