"""Literal values: small ones in memory, large ones streamed to a file and hashed on the way.

A whole-mailbox UID FETCH carries every message body as a literal. Holding those in memory would make a 50 MB
attachment cost 50 MB (twice, with the parser's buffer), so above a threshold the parser writes the bytes to a
temporary file as they arrive and computes their sha256 at the same time; the archive can then move the file
into its content-addressed store without reading it again.

Both kinds answer the same questions (``size``, ``sha256``, ``path``, ``open()``, ``read_bytes()``,
``discard()``), so code that consumes literals does not care which one it got. The small kind *is* ``bytes``,
so for the common case of a short string (a subject with a quote in it, a header field) nothing changes.

Ownership: once a response is handed out, its file literals belong to the receiver, who moves or discards
them. The parser deletes the files of a response it could not finish.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["BytesLiteral", "FileLiteral", "Literal", "LiteralSink", "open_sink"]


class BytesLiteral(bytes):
    """A literal kept in memory. It is ``bytes``; the extra members mirror :class:`FileLiteral`."""

    __slots__ = ()

    @property
    def path(self) -> None:
        return None

    @property
    def size(self) -> int:
        return len(self)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self).hexdigest()

    def open(self) -> BinaryIO:
        return io.BytesIO(self)

    def read_bytes(self) -> bytes:
        return bytes(self)

    def discard(self) -> None:
        """Nothing to release; present so callers can discard any literal alike."""

    def __repr__(self) -> str:
        if len(self) <= 64:
            return f"BytesLiteral({bytes.__repr__(self)})"
        return f"BytesLiteral(<{len(self)} bytes>)"


@dataclass(frozen=True, slots=True)
class FileLiteral:
    """A literal spooled to ``path``; ``sha256`` (hex) was computed while it was written."""

    path: Path
    size: int
    sha256: str

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def discard(self) -> None:
        """Delete the spool file (it is ours to delete only until someone moved it away)."""
        self.path.unlink(missing_ok=True)


Literal = BytesLiteral | FileLiteral


class LiteralSink:
    """Collects one literal of a known size, in memory or in a spool file."""

    def write(self, chunk: bytes | memoryview) -> None:
        raise NotImplementedError

    def finish(self) -> Literal:
        raise NotImplementedError

    def abort(self) -> None:
        """Throw away what was written (the response it belonged to failed)."""


class _MemorySink(LiteralSink):
    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, chunk: bytes | memoryview) -> None:
        self._buf += chunk

    def finish(self) -> Literal:
        return BytesLiteral(self._buf)


class _FileSink(LiteralSink):
    def __init__(self, spool_dir: Path | None) -> None:
        fd, name = tempfile.mkstemp(prefix="imap-literal-", suffix=".tmp", dir=spool_dir)
        self._path = Path(name)
        self._file = os.fdopen(fd, "wb", buffering=256 * 1024)
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, chunk: bytes | memoryview) -> None:
        # A blocking write on the event loop thread: it lands in the page cache (through a 256 KiB buffer),
        # and durability (fsync) is the archive's decision when it takes the file over, not ours.
        self._file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def finish(self) -> Literal:
        self._file.close()
        return FileLiteral(self._path, self._size, self._hash.hexdigest())

    def abort(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)


def open_sink(size: int, *, spill_threshold: int, spool_dir: Path | None) -> LiteralSink:
    """A sink for a literal of ``size`` bytes: a spool file above ``spill_threshold``, memory otherwise."""
    if size > spill_threshold:
        return _FileSink(spool_dir)
    return _MemorySink()
