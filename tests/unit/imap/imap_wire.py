"""Parser test helpers: write values as a server would, feed bytes in chosen pieces, compare by kind."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mailwarden.imap import (
    Atom,
    BytesLiteral,
    ContinuationRequest,
    FileLiteral,
    Response,
    ResponseCode,
    ResponseParser,
    TaggedResponse,
    UntaggedResponse,
    Value,
)


def serialise(value: Value) -> bytes:
    """A value on the wire: BytesLiteral as a literal, plain bytes as a quoted string, Atom as is."""
    if value is None:
        return b"NIL"
    if isinstance(value, bool):
        raise TypeError("no booleans in IMAP")
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Atom):
        return bytes(value)
    if isinstance(value, BytesLiteral):
        return b"{%d}\r\n" % len(value) + bytes(value)
    if isinstance(value, bytes):
        return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    if isinstance(value, tuple):
        return b"(" + b" ".join(serialise(item) for item in value) + b")"
    raise TypeError(f"cannot serialise {value!r}")


def serialise_response(response: Response) -> bytes:
    if isinstance(response, ContinuationRequest):
        return b"+ " + response.data + b"\r\n"
    if isinstance(response, TaggedResponse):
        head = f"{response.tag} {response.status}".encode()
        return head + _resp_text(response.code, response.text) + b"\r\n"
    if response.is_status:
        return b"* " + response.name.encode() + _resp_text(response.code, response.text) + b"\r\n"
    number = b"%d " % response.number if response.number is not None else b""
    data = b"".join(b" " + serialise(value) for value in response.data)
    return b"* " + number + response.name.encode() + data + b"\r\n"


def _resp_text(code: ResponseCode | None, text: str) -> bytes:
    out = b" "
    if code is not None:
        args = b"".join(b" " + serialise(arg) for arg in code.args)
        out += b"[" + code.name.encode() + args + b"] "
    return out + text.encode()


def feed_in_pieces(parser: ResponseParser, data: bytes, cuts: Iterable[int]) -> list[Response]:
    """Feed ``data`` split at the offsets in ``cuts``; return every response completed."""
    out: list[Response] = []
    start = 0
    for cut in sorted({c for c in cuts if 0 < c < len(data)}):
        out += parser.feed(data[start:cut])
        start = cut
    out += parser.feed(data[start:])
    return out


def kinds(value: Value) -> object:
    """A value with its IMAP kind made explicit, so an atom never equals a quoted string of the same bytes.

    File literals are read (and their spool file deleted): they compare by content, like memory literals.
    """
    if value is None:
        return ("nil",)
    if isinstance(value, int):
        return ("number", value)
    if isinstance(value, Atom):
        return ("atom", bytes(value))
    if isinstance(value, BytesLiteral):
        return ("literal", bytes(value))
    if isinstance(value, FileLiteral):
        data = value.read_bytes()
        value.discard()
        return ("literal", data)
    if isinstance(value, bytes):
        return ("string", value)
    return ("list", [kinds(item) for item in value])


def response_kinds(response: Response) -> object:
    """A response with every value passed through :func:`kinds`."""
    if isinstance(response, UntaggedResponse):
        code = _code_kinds(response.code)
        return ("untagged", response.name, response.number, kinds(response.data), code, response.text)
    if isinstance(response, TaggedResponse):
        code = _code_kinds(response.code)
        return ("tagged", response.tag, response.status, code, response.text)
    return ("continuation", response.data)


def _code_kinds(code: ResponseCode | None) -> object:
    return None if code is None else (code.name, kinds(code.args))


def all_cuts(data: bytes) -> Sequence[int]:
    """Every byte boundary: the harshest way to feed a parser."""
    return range(1, len(data))
