"""Raw messages, each stored once: content-addressed by the sha256 of the raw bytes, compressed with zstd.

Layout: ``<root>/ab/<sha256>.zst``: 256 folders, so a new archive makes a few hundred directories rather
than one per message (a million messages is ~4,000 files per folder, which ext4's hashed directories and
any other modern file system handle without noticing; git's object store is laid out the same way).

A blob is written to an unnamed file (``O_TMPFILE``; a named one in ``tmp/`` where the file system has no
such thing), linked into place under its final name, and made durable by :meth:`BlobStore.sync` — once per
group of messages, because an fsync per message would cost more than the download (mbsync's FSync mode is
three times slower than without). The database row that says a blob exists is committed only after that
sync, and it, not the file, is the truth: a file left by a crash before its row was committed is simply
written again.

Nothing here ever deletes a blob; purging belongs to retention, explicitly, elsewhere.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import zstandard

from mailwarden.core.errors import StorageError

__all__ = ["BlobRef", "BlobStore", "Source"]

CHUNK = 1 << 20


class Source(Protocol):
    """What can be stored: the IMAP client's literals (in memory or spooled to a file) and plain bytes."""

    @property
    def size(self) -> int: ...

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    size: int
    stored_size: int


def _syncfs(folder: Path) -> bool:
    if _LIBC is None:
        return False
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _LIBC.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)
    return True


def _fsync_each(paths: list[Path]) -> None:
    folders: set[Path] = set()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        folders.update((path.parent, path.parent.parent))  # the file's folder, and the one that holds it
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    return libc if hasattr(libc, "syncfs") else None


_LIBC = _load_libc()

#: open(O_TMPFILE) errors that mean "not on this file system or kernel": named temporary files then
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}


class BlobStore:
    def __init__(self, root: Path, *, level: int = 3) -> None:
        self.root = root
        self.level = level
        self._tmp = root / "tmp"
        self._pending: list[str] = []  # shas: paths are only needed where syncfs is not
        self._pending_lock = threading.Lock()  # tracked on the event loop, synced on a thread
        self._root = os.fspath(root)
        self._made: set[str] = set()  # shard folders known to exist
        self._unnamed = hasattr(os, "O_TMPFILE") and Path("/proc/self/fd").is_dir()
        # a compressor per thread: creating one costs more than compressing a typical message, and one
        # instance must not be used by two threads at once
        self._local = threading.local()
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"cannot create the blob store at {root}: {exc.strerror}") from exc

    @property
    def spool_dir(self) -> Path:
        """Where an IMAP client may spool big bodies on their way in (removed by :meth:`clean_temporary`
        if a crash leaves them)."""
        return self._tmp

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.zst"

    def put(self, source: Source | bytes, *, expected_sha256: str | None = None) -> BlobRef:
        """Compress ``source`` into the store. Not durable until :meth:`sync`."""
        ref = self.write(source, expected_sha256=expected_sha256)
        self.track([ref.sha256])
        return ref

    def track(self, shas: Iterable[str]) -> None:
        """Count blobs written by :meth:`write` elsewhere (another process) into the next :meth:`sync`."""
        with self._pending_lock:
            self._pending.extend(shas)

    def write(self, source: Source | bytes, *, expected_sha256: str | None = None) -> BlobRef:
        """Like :meth:`put`, but leaves it to the caller to :meth:`track` the blob for the next sync —
        for worker processes, whose writes the owning process makes durable."""
        try:
            fd, named = self._temporary()
            try:
                if isinstance(source, bytes):
                    sha, size, stored = self._write_bytes(fd, source)
                else:
                    sha, size, stored = self._write_stream(fd, source)
                if expected_sha256 is not None and expected_sha256 != sha:
                    raise StorageError(
                        detail=f"content hash changed while storing: {expected_sha256} != {sha}"
                    )
                # strings, not Paths, on this once-per-message road (pathlib was 8 % of a worker's time)
                shard = sha[:2]
                if shard not in self._made:
                    os.makedirs(os.path.join(self._root, shard), exist_ok=True)
                    self._made.add(shard)
                self._publish(fd, named, f"{self._root}/{shard}/{sha}.zst")
            except BaseException:
                if named is not None:
                    named.unlink(missing_ok=True)
                raise
            finally:
                os.close(fd)
        except OSError as exc:
            raise StorageError(detail=f"cannot write a blob: {exc.strerror or exc}") from exc
        return BlobRef(sha, size, stored)

    def _compressor(self) -> zstandard.ZstdCompressor:
        compressor: zstandard.ZstdCompressor | None = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = zstandard.ZstdCompressor(level=self.level, write_checksum=True)
            self._local.compressor = compressor
        return compressor

    def _temporary(self) -> tuple[int, Path | None]:
        """A file to write a blob into: unnamed where the file system can (``O_TMPFILE``: a crash leaves
        nothing behind), else a named ``.part`` in ``tmp/``. Returns its descriptor and its name, if any."""
        if self._unnamed:
            try:
                return os.open(self._tmp, os.O_TMPFILE | os.O_WRONLY, 0o644), None
            except OSError as exc:
                if exc.errno not in _NO_TMPFILE:
                    raise
                self._unnamed = False
        path = self._tmp / f"{os.urandom(8).hex()}.part"
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), path

    def _publish(self, fd: int, named: Path | None, final: str) -> None:
        """Give the written file its final name, replacing a file already there (the same bytes — or a
        file a crash left unsynced, which must not be trusted)."""
        if named is None:
            # linkat(2) of /proc/self/fd/N with AT_SYMLINK_FOLLOW names an O_TMPFILE file; os.link uses
            # linkat only when given a directory descriptor, which an absolute path then ignores
            proc = f"/proc/self/fd/{fd}"
            try:
                os.link(proc, final, src_dir_fd=fd, follow_symlinks=True)
                return
            except FileExistsError:
                named = Path(final).with_name(f".{os.urandom(8).hex()}.part")
                os.link(proc, named, src_dir_fd=fd, follow_symlinks=True)
        try:
            os.replace(named, final)
        except BaseException:
            named.unlink(missing_ok=True)
            raise

    def _write_bytes(self, fd: int, data: bytes) -> tuple[str, int, int]:
        """A message in memory: one-shot compression, one write (most mail is a few KB)."""
        packed = self._compressor().compress(data)
        view = memoryview(packed)
        while view:
            view = view[os.write(fd, view) :]
        return hashlib.sha256(data).hexdigest(), len(data), len(packed)

    def _write_stream(self, fd: int, source: Source) -> tuple[str, int, int]:
        """A message spooled to a file: streamed through, never whole in memory."""
        digest = hashlib.sha256()
        size = 0
        try:
            with (
                os.fdopen(fd, "wb", closefd=False) as raw_out,
                source.open() as stream,
                self._compressor().stream_writer(raw_out, closefd=False) as out,
            ):
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except BaseException:
            self._local.compressor = None  # a frame left half-written: start the next one afresh
            raise
        return digest.hexdigest(), size, os.fstat(fd).st_size

    def sync(self) -> int:
        """Make every blob written since the last call durable.

        On Linux one ``syncfs`` of the store's file system: a hundred times cheaper than an fsync per file
        and per folder (measured: 0.03 s against 0.35 s for 1,000 messages), with the same guarantee for
        these files. Elsewhere, or if it fails, each file and folder is fsynced.
        """
        with self._pending_lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        try:
            if not _syncfs(self.root):
                _fsync_each([self.path_for(sha) for sha in pending])
        except OSError as exc:
            with self._pending_lock:
                self._pending = pending + self._pending
            raise StorageError(detail=f"cannot make blobs durable: {exc.strerror or exc}") from exc
        return len(pending)

    def open(self, sha256: str) -> BinaryIO:
        """A stream of the raw bytes."""
        try:
            fh = self.path_for(sha256).open("rb")
        except OSError as exc:
            raise StorageError(detail=f"blob {sha256} cannot be read: {exc.strerror or exc}") from exc
        return zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as stream:
            return stream.read()

    def verify(self, sha256: str) -> bool:
        """Decompress and re-hash: True when the stored bytes are exactly the ones archived."""
        digest = hashlib.sha256()
        try:
            with self.open(sha256) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
        except (StorageError, zstandard.ZstdError):
            return False
        return digest.hexdigest() == sha256

    def copy_to(self, sha256: str, target: BinaryIO) -> None:
        with self.open(sha256) as stream:
            shutil.copyfileobj(stream, target, CHUNK)

    def remove(self, sha256: str) -> bool:
        """Delete a blob's file (a retention purge); False when it was not there."""
        try:
            self.path_for(sha256).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(detail=f"cannot remove blob {sha256}: {exc.strerror or exc}") from exc
        return True

    def iter_shas(self) -> Iterator[str]:
        for path in self.root.glob("??/*.zst"):
            yield path.name[: -len(".zst")]

    def clean_temporary(self) -> int:
        """Remove half-written blobs and spooled bodies left by a crash (they were never referenced).

        Unnamed (``O_TMPFILE``) blobs need nothing: the kernel frees them with their last descriptor."""
        removed = 0
        for part in [
            *self._tmp.glob("*.part"),
            *self._tmp.glob("imap-literal-*"),
            *self.root.glob("??/.*.part"),
        ]:
            part.unlink(missing_ok=True)
            removed += 1
        return removed


def blob_store(archive_dir: Path) -> BlobStore:
    """The archive's blob store: ``<archive_dir>/blobs`` (the settings' ``archive_dir``)."""
    return BlobStore(archive_dir / "blobs")
