"""A part's header fields, as ``compat32`` holds them: parsed from raw lines into a ``Message``, indexed by
lower-case name once, and the few values every caller asks for (content type, boundary, transfer
encoding) read from that index. Split from :mod:`.split`, which finds the parts."""

from __future__ import annotations

from email import errors
from email.message import Message
from email.utils import unquote

__all__ = ["INDEX", "boundary_of", "content_type", "decode", "header_fields", "header_index", "strip_break"]

INDEX = "_mailwarden_headers"
_SPACE, _TAB, _COLON = 32, 9, 58


def header_fields(msg: Message, index: dict[str, list[str]], lines: list[bytes]) -> bytes | None:
    """feedparser's ``_parse_headers``: the fields, the unix "From " line, their defects; and a "From "
    line given back to the body (when it is the last line, but not the first). Each field also goes into
    ``index`` (see :func:`header_index`)."""
    fields: list[bytes] = []
    field: list[bytes] = []
    given_back: bytes | None = None
    last = len(lines) - 1
    for number, line in enumerate(lines):
        first = line[0]
        if first in (_SPACE, _TAB):
            if field:
                field.append(line)
            else:
                msg.defects.append(errors.FirstHeaderLineIsContinuationDefect(decode(line)))
            continue
        if field:
            fields.append(field[0] if len(field) == 1 else b"".join(field))
            field = []
        if line.startswith(b"From "):
            if number == 0:
                msg.set_unixfrom(strip_break(decode(line)))
            elif number == last:
                given_back = line
            else:
                msg.defects.append(errors.MisplacedEnvelopeHeaderDefect(decode(line)))
            continue
        if first == _COLON:
            msg.defects.append(errors.InvalidHeaderDefect("Missing header name."))
            continue
        field = [line]
    if field:
        fields.append(field[0] if len(field) == 1 else b"".join(field))
    _set_fields(msg, index, fields)
    return given_back


def _set_fields(msg: Message, index: dict[str, list[str]], fields: list[bytes]) -> None:
    """Store each field (its lines joined) as compat32's ``header_source_parse`` does: the name as sent,
    the value without the blanks that start its first line and without the final line break (the folding
    line breaks inside it stay); and index it. One loop for all the fields of a part: they are a good
    share of the parsing time, and two calls per field were a third of theirs."""
    headers = msg.__dict__["_headers"]  # what Message.set_raw appends to
    for data in fields:
        name, value = data.decode("ascii", "surrogateescape").split(":", 1)
        value = value.lstrip(" \t").rstrip("\r\n")
        headers.append((name, value))
        # A field name here is what _HEADER_LINE matched before the ":": printable ASCII without blanks,
        # so lower() is all the normalising it needs (``header_index`` strips names it did not see split).
        key = name.lower()
        values = index.get(key)
        if values is None:
            index[key] = [value]
        else:
            values.append(value)


def header_index(part: Message) -> dict[str, list[str]]:
    """The part's headers by lower-case name, values exactly as compat32 holds them, in order.

    :func:`split` builds it while it reads the fields; for a part it did not make (a test's, a tree built
    by the stdlib parser) it is built here on first use. A message is asked for some fifty headers, and
    scanning them all each time was a third of the parsing time. Parts are never modified after parsing.
    """
    index: dict[str, list[str]] | None = part.__dict__.get(INDEX)
    if index is None:
        index = {}
        for key, value in part.raw_items():
            index.setdefault(key.strip().lower(), []).append(str(value))
        part.__dict__[INDEX] = index
    return index


def content_type(msg: Message) -> str:
    """``msg.get_content_type()``, from the header index instead of a scan of every header name.

    The same answer always: a missing Content-Type gives the default type; a value with 8-bit bytes (which
    ``Message.get`` turns into a ``Header`` first) is left to the stdlib; otherwise the text before the
    first ";", stripped and in lower case, when it holds exactly one "/", else ``text/plain``.
    """
    values = header_index(msg).get("content-type")
    if values is None:
        return msg.get_default_type()
    value = values[0]
    if not value.isascii():
        return msg.get_content_type()
    ctype = value.partition(";")[0].strip().lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def boundary_of(msg: Message) -> str | None:
    """``msg.get_boundary()``, without the stdlib's general parameter machinery for the usual value.

    For an ASCII Content-Type without backslashes or "*" (no escapes, no RFC 2231 forms) whose type holds
    no quote or "=" (and is not the word "boundary"), the stdlib's steps come down to these: split the
    parameters at ";" outside quotes, take the first whose name (before "=", stripped, any case) is
    "boundary", and unquote its stripped value twice (``get_param`` and ``get_boundary`` each unquote it
    once), then strip trailing blanks. Anything
    else is left to the stdlib. A test holds the two equal.
    """
    values = header_index(msg).get("content-type")
    if not values:
        return msg.get_boundary()
    value = values[0]
    head, semicolon, rest = value.partition(";")
    if not value.isascii() or "\\" in value or "*" in value or '"' in head or "=" in head:
        return msg.get_boundary()
    if head.strip().lower() == "boundary":  # the type itself would be taken for the parameter
        return msg.get_boundary()
    held: list[str] = []
    quotes = 0
    for piece in rest.split(";") if semicolon else ():
        held.append(piece)
        quotes += piece.count('"')
        if quotes % 2:
            continue  # a ";" inside quotes: the parameter goes on
        param = ";".join(held) if len(held) > 1 else piece
        held, quotes = [], 0
        name, equals, data = param.partition("=")
        if name.strip().lower() == "boundary":
            return unquote(unquote(data.strip() if equals else "")).rstrip()
    if held and ";".join(held).partition("=")[0].strip().lower() == "boundary":
        param = ";".join(held)
        return unquote(unquote(param.partition("=")[2].strip())).rstrip()
    return None


def _transfer_encoding(msg: Message) -> str:
    """``str(msg.get("content-transfer-encoding", "8bit"))``, from the header index (see content_type)."""
    values = header_index(msg).get("content-transfer-encoding")
    if values is None:
        return "8bit"
    return values[0] if values[0].isascii() else str(msg.get("content-transfer-encoding"))


def decode(data: bytes) -> str:
    return data.decode("ascii", "surrogateescape")


def strip_break(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\r", "\n")) else text
