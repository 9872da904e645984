"""COMPRESS=DEFLATE (RFC 4978): raw deflate in both directions, below the parser and above TLS.

Why bother: a whole-mailbox sync moves mostly text (headers, base64 attachments), which deflate shrinks to a
third or less; over a slow link the archive finishes hours earlier.

Two details the RFC makes ours:

* Each write is flushed with ``Z_SYNC_FLUSH``, or a short command would sit in the compressor's window
  while we wait for the server to answer it.
* Inflating is bounded: a hostile server can send a few kilobytes that inflate to gigabytes. Output comes in
  pieces of at most ``piece`` bytes, so the parser (with its own line and memory limits) sees it the same way
  it sees bytes from the socket.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["Deflate"]

#: zlib's "raw deflate, 32 KiB window" (no zlib header, no checksum), as RFC 4978 specifies
_RAW = -15


class Deflate:
    """One connection's compressor and decompressor."""

    def __init__(self, *, level: int = 6, piece: int = 256 * 1024) -> None:
        self._compress = zlib.compressobj(level, zlib.DEFLATED, _RAW)
        self._decompress = zlib.decompressobj(_RAW)
        self._piece = piece
        self.bytes_in = self.bytes_out = 0  # compressed, as on the wire
        self.plain_in = self.plain_out = 0

    def deflate(self, data: bytes) -> bytes:
        out = self._compress.compress(data) + self._compress.flush(zlib.Z_SYNC_FLUSH)
        self.plain_out += len(data)
        self.bytes_out += len(out)
        return out

    def inflate(self, data: bytes) -> Iterator[bytes]:
        """The plain bytes of ``data``, in pieces; ``zlib.error`` if the stream is corrupt."""
        self.bytes_in += len(data)
        if self._decompress.eof:
            raise zlib.error("data after the end of the deflate stream")
        pending = data
        while pending:
            piece = self._decompress.decompress(pending, self._piece)
            pending = self._decompress.unconsumed_tail
            if piece:
                self.plain_in += len(piece)
                yield piece
            if self._decompress.eof:  # Dovecot finishes its stream after the BYE to LOGOUT
                if pending or self._decompress.unused_data:
                    raise zlib.error("data after the end of the deflate stream")
                return
