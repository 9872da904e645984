"""``Content-Type`` and ``Content-Disposition``: the value and its parameters, RFC 2231 included.

Attachment names are where mail clients disagree most, and a wrong name is what users notice first:

* RFC 2231 continuations and charsets: ``filename*0*=utf-8''%E6%8A%A5; filename*1*=%E4%BB%B7.pdf``
  (segments joined as bytes, then decoded once, so a character may straddle segments);
* RFC 2047 encoded-words inside a quoted value, which RFC 2047 forbids and Outlook and Foxmail send anyway:
  ``name="=?GB2312?B?...?="``;
* raw 8-bit bytes in quotes, where a Shift_JIS or Big5 trail byte may be ``\\`` — a backslash right after
  an 8-bit byte is taken as part of the character, not as an escape of the closing quote;
* a missing ``;`` before a parameter (``text/plain charset=utf-8``).

When both ``filename`` and ``filename*`` are present the RFC 2231 form wins: it is the one that says what
its charset is.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from mailwarden.mime.charsets import decode_text
from mailwarden.mime.defects import DefectKind, DefectLog
from mailwarden.mime.encoded_words import decode_header, unfold

__all__ = ["HeaderValue", "parse_header_value"]

_EXTENDED = re.compile(r"([^*]+)\*(\d+)?(\*)?")
_CONTENT_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_SEGMENT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class HeaderValue:
    """A structured header: the lower-case ``value`` (``text/plain``, ``attachment``) and decoded params."""

    value: str
    params: dict[str, str] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    """Split at ``;`` outside quoted strings; quotes and escapes stay in the pieces for ``_unquote``."""
    pieces: list[str] = []
    if "\\" not in text:
        # no escapes (nearly every header): a ";" is inside quotes when an odd number of them precede it
        held: list[str] = []
        quotes = 0
        for piece in text.split(";"):
            held.append(piece)
            quotes += piece.count('"')
            if quotes % 2 == 0:
                pieces.append(";".join(held))
                held, quotes = [], 0
        if held:
            pieces.append(";".join(held))
        return pieces
    start = 0
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if quoted and char == "\\" and not _after_8bit(text, index):
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append(text[start:index])
            start = index + 1
        index += 1
    pieces.append(text[start:])
    return pieces


def _after_8bit(text: str, index: int) -> bool:
    return index > 0 and not text[index - 1].isascii()


def _unquote(value: str) -> str:
    value = value.strip()
    if not value.startswith('"'):
        return value
    if "\\" not in value:
        # no escapes (nearly every value): up to the next quote, or to the end when it never closes
        end = value.find('"', 1)
        return value[1:] if end < 0 else value[1:end]
    return _unquote_escaped(value)


def _unquote_escaped(value: str) -> str:
    """A quoted value (stripped, starting with a quote), read character by character for escapes."""
    out: list[str] = []
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value) and not _after_8bit(value, index):
            out.append(value[index + 1])
            index += 2
            continue
        if char == '"':
            break
        out.append(char)
        index += 1
    return "".join(out)


def parse_header_value(raw: str | None, log: DefectLog, where: str, hints: Sequence[str] = ()) -> HeaderValue:
    """Parse a ``Content-Type``-like header; ``raw`` as compat32 holds it (8-bit bytes as surrogates).

    Most values recur from message to message ("text/plain; charset=utf-8"), so short ones are parsed once
    per process and remembered with their defects (see :func:`_parsed`).
    """
    if raw is None:
        return HeaderValue("")
    if len(raw) > _CACHED_LENGTH:
        return _parse_header_value(raw, log, where, hints)
    value, params, defects = _parsed(raw, where, tuple(hints))
    for kind, detail in defects:
        log.add(kind, detail)
    return HeaderValue(value, dict(params))


#: values longer than this are parsed each time, never remembered
_CACHED_LENGTH = 1000


@lru_cache(maxsize=2048)
def _parsed(
    raw: str, where: str, hints: tuple[str, ...]
) -> tuple[str, tuple[tuple[str, str], ...], tuple[tuple[DefectKind, str], ...]]:
    """:func:`_parse_header_value`, remembered: a pure function of its arguments. The parameters are kept
    as pairs (each caller gets a dict of its own); the log here keeps every defect, so the caller's log
    applies its own limit when they are recorded again, in the same order."""
    log = DefectLog(limit=sys.maxsize)
    parsed = _parse_header_value(raw, log, where, hints)
    defects = tuple((defect.kind, defect.detail) for defect in log.result())
    return parsed.value, tuple(parsed.params.items()), defects


def _parse_header_value(raw: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> HeaderValue:
    """``parse_header_value`` of a value, every time."""
    pieces = _split(unfold(raw))
    value = pieces[0].strip().lower()
    rest = pieces[1:]
    if "=" in value and " " in value:
        # "text/plain charset=utf-8": the ";" is missing
        log.add("parameter", f"{where}: parameter without a ';' before it")
        value, missing = value.split(None, 1)
        rest.insert(0, missing)
    if not value.isascii():
        value = value.encode("ascii", "ignore").decode("ascii")
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for piece in rest[:_SEGMENT_LIMIT]:
        name, equals, data = piece.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            if piece.strip():
                log.add("parameter", f"{where}: parameter without '=' ignored")
            continue
        match = _EXTENDED.fullmatch(name) if "*" in name else None  # no "*", no RFC 2231 form
        if match is None:
            plain.setdefault(name, _unquote(data))
            continue
        number = int(match[2]) if match[2] is not None and len(match[2]) < 6 else 0
        segments = extended.setdefault(match[1], {})
        if number in segments:
            log.add("parameter", f"{where}: RFC 2231 segment {name} repeated")
            continue
        segments[number] = (_unquote(data), match[3] is not None or match[2] is None)
    params: dict[str, str] = {}
    for name, text in plain.items():
        params[name] = decode_header(text, log, f"{where} {name}", hints)
    for name, segments in extended.items():
        params[name] = _join_extended(segments, log, f"{where} {name}*", hints)
    return HeaderValue(value, params)


def _join_extended(
    segments: dict[int, tuple[str, bool]], log: DefectLog, where: str, hints: Sequence[str]
) -> str:
    """Join RFC 2231 segments as bytes and decode them once in the charset the first segment names."""
    numbers = sorted(segments)
    if numbers != list(range(len(numbers))):
        log.add("parameter", f"{where}: RFC 2231 segments {numbers} are not 0, 1, 2, ...")
    charset: str | None = None
    data = bytearray()
    for position, number in enumerate(numbers):
        text, encoded = segments[number]
        if not encoded:
            data += text.encode("utf-8", "surrogateescape")
            continue
        if position == 0:
            if text.count("'") >= 2:
                charset, _language, text = text.split("'", 2)
            else:
                log.add("parameter", f"{where}: RFC 2231 value without charset'language' prefix")
        data += unquote_to_bytes(text.encode("utf-8", "surrogateescape"))
    return decode_text(bytes(data), charset or None, log, where, hints).strip()


def content_type_or_default(value: HeaderValue, log: DefectLog, where: str) -> str:
    """The media type, or ``text/plain`` (RFC 2045's default) when it is missing or malformed."""
    if _CONTENT_TYPE.fullmatch(value.value):
        return value.value
    if value.value:
        log.add("structure", f"{where}: malformed Content-Type {value.value!r} read as text/plain")
    return "text/plain"
