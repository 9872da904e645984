"""Raw messages, each stored once: content-addressed by the sha256 of the raw bytes, compressed with zstd.

Layout: ``<root>/ab/cd/<sha256>.zst``. A blob is written to a temporary file, renamed into place, and made
durable by :meth:`BlobStore.sync` — once per group of messages, because an fsync per message would cost more
than the download (mbsync's FSync mode is three times slower than without). The database row that says a
blob exists is committed only after that sync, and it, not the file, is the truth: a file left by a crash
before its row was committed is simply written again.

Nothing here ever deletes a blob; purging belongs to retention, explicitly, elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
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


class BlobStore:
    def __init__(self, root: Path, *, level: int = 3) -> None:
        self.root = root
        self.level = level
        self._tmp = root / "tmp"
        self._pending: list[Path] = []
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"cannot create the blob store at {root}: {exc.strerror}") from exc

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.zst"

    def put(self, source: Source | bytes, *, expected_sha256: str | None = None) -> BlobRef:
        """Compress ``source`` into the store. Not durable until :meth:`sync`."""
        stream: BinaryIO
        stream = io.BytesIO(source) if isinstance(source, bytes) else source.open()
        digest = hashlib.sha256()
        size = 0
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, suffix=".part")
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as raw_out, stream:
                    compressor = zstandard.ZstdCompressor(level=self.level, write_checksum=True)
                    with compressor.stream_writer(raw_out, closefd=False) as out:
                        while chunk := stream.read(CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                sha = digest.hexdigest()
                if expected_sha256 is not None and expected_sha256 != sha:
                    raise StorageError(
                        detail=f"content hash changed while storing: {expected_sha256} != {sha}"
                    )
                final = self.path_for(sha)
                final.parent.mkdir(parents=True, exist_ok=True)
                stored = tmp.stat().st_size
                os.replace(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(detail=f"cannot write a blob: {exc.strerror or exc}") from exc
        self._pending.append(final)
        return BlobRef(sha, size, stored)

    def sync(self) -> int:
        """Make every blob written since the last call durable (files, then their folders)."""
        pending, self._pending = self._pending, []
        folders: set[Path] = set()
        try:
            for path in pending:
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                folders.add(path.parent)
                folders.add(path.parent.parent)
            for folder in folders:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
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

    def iter_shas(self) -> Iterator[str]:
        for path in self.root.glob("??/??/*.zst"):
            yield path.name[: -len(".zst")]

    def clean_temporary(self) -> int:
        """Remove half-written files left by a crash (they were never referenced)."""
        removed = 0
        for part in self._tmp.glob("*.part"):
            part.unlink(missing_ok=True)
            removed += 1
        return removed
