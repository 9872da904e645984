"""Turning a command and its arguments into bytes for the wire, and tags to tell commands apart.

A command with a synchronising literal (``{12}\\r\\n``) cannot go out in one write: the server must answer
``+`` before the literal may follow. So a command encodes to *chunks*; every chunk after the first waits for a
continuation request. With LITERAL+ (or LITERAL- for literals up to 4 KiB) the client may send ``{12+}`` and
no waiting is needed, which matters when a password with a Chinese character is the only reason for a literal.

The encoder also produces the text a protocol trace may show: literal contents never appear in it, only their
size, and the connection shows no arguments at all for commands marked as secret (LOGIN, AUTHENTICATE).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from mailwarden.core.errors import InputError

__all__ = ["Argument", "AsLiteral", "EncodedCommand", "LiteralMode", "Raw", "TagGenerator", "encode_command"]


class Raw(bytes):
    """An argument sent exactly as given: atoms, sequence sets, flags, fetch items (``BODY.PEEK[]``)."""

    __slots__ = ()


class AsLiteral(bytes):
    """Bytes that must go as a literal even when a quoted string would do (APPEND's message)."""

    __slots__ = ()


Argument: TypeAlias = "Raw | str | bytes | int | list[Argument] | tuple[Argument, ...] | None"
LiteralMode = Literal["sync", "plus", "minus"]

_COMMAND_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)?")
# 7-bit text without NUL, CR, LF can be a quoted string; anything else must be a literal.
_QUOTABLE = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*")
_ESCAPE = re.compile(rb'([\\"])')
#: longer strings go as literals: some servers cap the line length, none cap literals this small
_MAX_QUOTED = 1000
#: RFC 7888: LITERAL- allows non-synchronising literals up to this size
_LITERAL_MINUS_MAX = 4096


@dataclass(frozen=True, slots=True)
class EncodedCommand:
    """``chunks[0]`` starts with the tag; each later chunk is sent after a ``+`` from the server."""

    chunks: tuple[bytes, ...]
    trace: str


class TagGenerator:
    """``A0001``, ``A0002``, ...: unique per connection, which is all RFC 3501 asks."""

    def __init__(self, prefix: str = "A") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def __next__(self) -> str:
        return f"{self._prefix}{next(self._counter):04d}"


class _Encoder:
    def __init__(self, literal_mode: LiteralMode) -> None:
        self.mode = literal_mode
        self.chunks: list[bytes] = []
        self.current = bytearray()
        self.trace: list[str] = []

    def text(self, data: bytes) -> None:
        self.current += data
        self.trace.append(data.decode("ascii", "replace"))

    def literal(self, data: bytes) -> None:
        if b"\x00" in data:
            raise InputError("imap.argument", detail="a NUL byte cannot be sent to an IMAP server")
        size = len(data)
        if self.mode == "plus" or (self.mode == "minus" and size <= _LITERAL_MINUS_MAX):
            self.current += b"{%d+}\r\n" % size
        else:
            self.current += b"{%d}\r\n" % size
            self.chunks.append(bytes(self.current))
            self.current = bytearray()
        self.current += data
        self.trace.append(f"{{{size} bytes}}")

    def argument(self, value: Argument) -> None:
        if isinstance(value, Raw):
            if re.search(rb"[\x00\r\n]", value):
                raise InputError("imap.argument", detail="CR, LF or NUL in a raw IMAP argument")
            self.text(value)
        elif isinstance(value, AsLiteral):
            self.literal(value)
        elif isinstance(value, (str, bytes)):
            data = value.encode("utf-8") if isinstance(value, str) else value
            if len(data) <= _MAX_QUOTED and _QUOTABLE.fullmatch(data):
                self.text(b'"' + _ESCAPE.sub(rb"\\\1", data) + b'"')
            else:
                self.literal(data)
        elif isinstance(value, bool):
            raise InputError("imap.argument", detail="a boolean is not an IMAP value")
        elif isinstance(value, int):
            if value < 0:
                raise InputError("imap.argument", detail="IMAP numbers are never negative")
            self.text(b"%d" % value)
        elif value is None:
            self.text(b"NIL")
        else:
            self.text(b"(")
            for index, item in enumerate(value):
                if index:
                    self.text(b" ")
                self.argument(item)
            self.text(b")")


def encode_command(
    tag: str,
    name: str,
    args: Sequence[Argument] = (),
    *,
    literal_mode: LiteralMode = "sync",
) -> EncodedCommand:
    """Encode ``tag name args...``; ``str``/``bytes`` become quoted strings or literals as needed."""
    if not _COMMAND_NAME.fullmatch(name):
        raise InputError("imap.argument", detail=f"not an IMAP command name: {name!r}")
    encoder = _Encoder(literal_mode)
    encoder.text(f"{tag} {name.upper()}".encode("ascii"))
    for arg in args:
        encoder.text(b" ")
        encoder.argument(arg)
    encoder.current += b"\r\n"
    encoder.chunks.append(bytes(encoder.current))
    return EncodedCommand(tuple(encoder.chunks), "".join(encoder.trace))
