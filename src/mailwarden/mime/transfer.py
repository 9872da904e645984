"""A part's bytes: Content-Transfer-Encoding undone in chunks, so big attachments can be hashed in passing.

A 20 MB attachment arrives as 27 MB of base64 that the parser already holds as text. Decoding it whole
(``get_payload(decode=True)``) would add another 20 MB for a hash and a length; here it is decoded a chunk
at a time and the chunks are fed to SHA-256 and forgotten. :func:`part_bytes` joins the same chunks, so the
hash recorded at parse time is the hash of what ``extract_part`` returns later.

Base64 is decoded leniently: characters outside the alphabet are skipped, a missing ``=`` is supplied, and
padding in the middle (two base64 streams glued together) ends one stream and starts the next — each with a
``transfer_encoding`` defect. Parts of type ``message/*`` hold their body as sent (see :mod:`.split`);
only a multipart asked for whole (``extract_part`` on a container's number) is serialised back from its
parts (original line endings, no ``From`` mangling).
"""

from __future__ import annotations

import binascii
import hashlib
import io
import re
from collections.abc import Iterator
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from mailwarden.mime.defects import DefectLog

__all__ = ["CHUNK", "digest", "iter_decoded", "part_bytes"]

#: characters of encoded payload handled at a time; a handful of chunk-sized buffers is the memory used
CHUNK = 1 << 18

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(set(range(256)) - set(_BASE64))
_BASE64_AND_SPACE = _BASE64 + b" \t\r\n"
_PADDING = re.compile(rb"=+")
_IDENTITY = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "none"})
_UUENCODE = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})


def _raw_payload(part: Message) -> object:
    # The public get_payload() replaces 8-bit bytes with U+FFFD when it returns text; the generator in the
    # standard library reads the attribute directly for the same reason.
    return getattr(part, "_payload", None)


def transfer_encoding(part: Message) -> str:
    for name, value in part.raw_items():
        if name.strip().lower() == "content-transfer-encoding":
            return "".join(str(value).split()).lower().strip("\"'")
    return ""


def iter_decoded(part: Message, log: DefectLog, where: str, linesep: bytes = b"\r\n") -> Iterator[bytes]:
    """The decoded bytes of ``part``, in chunks of at most about ``CHUNK`` bytes."""
    payload = _raw_payload(part)
    cte = transfer_encoding(part)
    if not isinstance(payload, str):
        # a multipart asked for whole: its parts were split apart, so serialise them back
        serialised = _serialised_body(part, linesep)
        if cte in {"base64", "quoted-printable"}:
            yield from _decode_text(serialised.decode("ascii", "surrogateescape"), cte, log, where)
        else:
            yield serialised
        return
    if cte in _UUENCODE:
        data = part.get_payload(decode=True)
        yield data if isinstance(data, bytes) else b""
        return
    if cte not in _IDENTITY and cte not in {"base64", "quoted-printable"}:
        log.add(
            "transfer_encoding", f"{where}: unknown Content-Transfer-Encoding {cte!r}; bytes kept as sent"
        )
    yield from _decode_text(payload, cte, log, where)


def _decode_text(payload: str, cte: str, log: DefectLog, where: str) -> Iterator[bytes]:
    if cte == "base64":
        yield from _base64(payload, log, where)
    elif cte == "quoted-printable":
        yield from _quoted_printable(payload)
    else:
        for start in range(0, len(payload), CHUNK):
            yield payload[start : start + CHUNK].encode("utf-8", "surrogateescape")


def _base64(payload: str, log: DefectLog, where: str) -> Iterator[bytes]:
    # This is the 20 MB attachment path, so it holds as few chunk-sized copies at once as it can: bytes
    # and translate() rather than str and re.sub(), which builds a list of every line in between.
    carry = b""
    junk = False
    for start in range(0, len(payload), CHUNK):
        piece = payload[start : start + CHUNK].encode("utf-8", "surrogateescape")
        junk = junk or bool(piece.translate(None, _BASE64_AND_SPACE))
        text = carry + piece.translate(None, _NOT_BASE64)
        del piece
        data, carry = _base64_streams(text, final=False, log=log, where=where)
        del text
        yield data
    data, _ = _base64_streams(carry, final=True, log=log, where=where)
    yield data
    if junk:
        log.add("transfer_encoding", f"{where}: characters outside base64 skipped")


def _base64_streams(text: bytes, *, final: bool, log: DefectLog, where: str) -> tuple[bytes, bytes]:
    """Decode what can be decoded of ``text``; return it and the partial quantum to carry over.

    A run of ``=`` ends a base64 stream; whatever follows it is decoded as a stream of its own.
    """
    if b"=" not in text and not final:
        whole = len(text) - len(text) % 4
        return binascii.a2b_base64(text if whole == len(text) else text[:whole]), text[whole:]
    body = text.rstrip(b"=")
    if len(body) < len(text) and b"=" not in body:  # the usual end: one stream, padded once
        return _padded(body, log, where), b""
    segments = _PADDING.split(text)
    out = bytearray()
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if last and not final:
            whole = len(segment) - len(segment) % 4
            out += binascii.a2b_base64(segment[:whole])
            return bytes(out), segment[whole:]
        if index < len(segments) - 2:
            log.add("transfer_encoding", f"{where}: base64 padding in the middle of the data")
        out += _padded(segment, log, where)
    return bytes(out), b""


def _padded(segment: bytes, log: DefectLog, where: str) -> bytes:
    if len(segment) % 4 == 1:
        log.add("transfer_encoding", f"{where}: base64 data ends with a stray character")
        segment = segment[:-1]
    return binascii.a2b_base64(segment + b"=" * (-len(segment) % 4))


def _quoted_printable(payload: str) -> Iterator[bytes]:
    start = 0
    while start < len(payload):
        end = min(start + CHUNK, len(payload))
        if end < len(payload):
            newline = payload.rfind("\n", start, end)
            if newline >= start:
                end = newline + 1
            else:  # one enormous line: do not cut an "=XX" escape in half
                while end > start + 2 and "=" in payload[end - 2 : end]:
                    end -= 1
        yield binascii.a2b_qp(payload[start:end].encode("utf-8", "surrogateescape"))
        start = end


def _serialised_body(part: Message, linesep: bytes) -> bytes:
    buffer = io.BytesIO()
    policy = compat32.clone(linesep=linesep.decode("ascii"))
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(part)
    data = buffer.getvalue()
    if data.startswith(linesep):
        return data[len(linesep) :]
    end = data.find(linesep + linesep)
    return data[end + 2 * len(linesep) :] if end >= 0 else b""


def part_bytes(part: Message, log: DefectLog, where: str, linesep: bytes = b"\r\n") -> bytes:
    """All the decoded bytes of ``part`` (one copy)."""
    return b"".join(iter_decoded(part, log, where, linesep))


def digest(part: Message, log: DefectLog, where: str, linesep: bytes = b"\r\n") -> tuple[str, int]:
    """SHA-256 (hex) and length of the decoded bytes of ``part``, without holding them all at once."""
    sha = hashlib.sha256()
    size = 0
    for chunk in iter_decoded(part, log, where, linesep):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size
