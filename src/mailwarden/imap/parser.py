"""A streaming IMAP4rev1 response parser: bytes in, in any pieces; typed responses out.

Why it looks like this:

* **Framing by line, grammar by token.** A response is a series of *segments* (bytes up to CRLF); a segment
  that ends in a literal marker ``{n}`` is followed by exactly n bytes of literal and then the next segment of
  the *same* response. The parser waits for a whole segment before tokenising it, so a chunk boundary anywhere
  -- inside ``{12`` ``3}``, between CR and LF, inside a quoted string -- needs no special case. Literal bytes
  are never buffered as a line: they go straight to a sink (memory, or a spool file hashed on the fly).
* **Grammar-aware where it matters.** Free text after ``OK``/``NO``/``BAD``/``BYE``/``PREAUTH`` and after
  ``+`` is text, so a ``{5}`` or ``(`` in a human message is not mistaken for a literal or a list.
* **No recursion.** Parenthesised lists are built on an explicit stack of Python lists. A BODYSTRUCTURE nested
  1,000 deep costs 1,000 small lists, not 1,000 stack frames (aioimaplib #118 died of this).
* **Bounded.** Line length, literal size, nesting depth and the memory one response may use are limits
  (:class:`ParserLimits`); exceeding one is an :class:`~.errors.IMAPParseError`, never a ``MemoryError``.
* **Lenient where servers are sloppy, strict where it is unsafe.** Atoms may contain ``\\``, ``*``, ``%`` and
  8-bit bytes (flags such as ``\\*``; real servers), invalid quoted escapes are kept as they are (as
  IMAPClient does), but an unclosed list at the end of a response, a stray ``)``, or an unterminated string is
  an error: guessing there would silently lose data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mailwarden.imap.errors import IMAPParseError
from mailwarden.imap.literals import BytesLiteral, FileLiteral, LiteralSink, open_sink
from mailwarden.imap.responses import (
    STATUS_NAMES,
    Atom,
    ContinuationRequest,
    Response,
    ResponseCode,
    TaggedResponse,
    UntaggedResponse,
    Value,
)
from mailwarden.imap.values import Malformed, scan_values

__all__ = ["ParserLimits", "ResponseParser"]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class ParserLimits:
    """Guards against hostile or broken servers, and where big literals go.

    ``max_line`` bounds one segment (a line without its literals): a ``SEARCH`` answer for a million messages
    is about 7 MB. ``max_memory`` bounds what one response holds in memory (segments plus small literals);
    ``spill_threshold`` is the size above which a literal goes to a file in ``spool_dir`` (system temp if
    None).
    """

    max_line: int = 16 * MiB
    max_literal: int = 2 * GiB
    max_depth: int = 10_000
    max_memory: int = 64 * MiB
    spill_threshold: int = 64 * KiB
    spool_dir: Path | None = None


_NUMBERED = re.compile(rb"([0-9]{1,20}) ([A-Za-z][A-Za-z0-9._=-]*)(?= |\Z)")
_NAME = re.compile(rb"([A-Za-z][A-Za-z0-9._=-]*)(?= |\Z)")
_TAGGED = re.compile(rb'([^\x00-\x20\x7f-\xff(){%*"\\+]+) ([A-Za-z]+)(?= |\Z)')
_TAGGED_STATUS: dict[bytes, Literal["OK", "NO", "BAD"]] = {b"OK": "OK", b"NO": "NO", b"BAD": "BAD"}
_CODE = re.compile(rb'\[([^\x00-\x20\x7f-\xff()\[\]{"%*\\]+)(?: ((?:[^\]"]|"(?:[^"\\]|\\.)*")*))?\]', re.S)


class ResponseParser:
    """Feed it bytes; iterate what ``feed`` returns to get the responses completed so far.

    >>> parser = ResponseParser()
    >>> list(parser.feed(b"* 3 EXI"))
    []
    >>> list(parser.feed(b"STS\\r\\n"))
    [UntaggedResponse(name='EXISTS', number=3, data=(), code=None, text='')]

    ``feed`` stores the bytes at once; the returned iterator parses lazily, so a caller may stop after any
    response (STARTTLS does) and the rest stays buffered. After an :class:`~.errors.IMAPParseError` the parser
    is unusable: the stream is out of step and only a new connection can recover.
    """

    #: The fast paths (``NAME value`` pairs in one match each, a literal taken whole when it is all here).
    #: They give exactly what the general scan gives; the tests switch them off to hold them to that.
    _fast_path = True

    def __init__(self, limits: ParserLimits | None = None, *, host: str = "", port: int = 0) -> None:
        self.limits = limits or ParserLimits()
        self._host = host
        self._port = port
        self._buf = bytearray()
        self._pos = 0  # start of unparsed bytes in _buf
        self._scan = 0  # where the search for the next CRLF resumes
        self._sink: LiteralSink | None = None
        self._remaining = 0  # literal bytes still to come
        self._stack: list[list[Value]] | None = None  # a data response in progress
        self._head: tuple[str, int | None] = ("", None)
        self._spooled: list[FileLiteral] = []  # files of the response in progress, to delete if it fails
        self._memory = 0
        self._failed: IMAPParseError | None = None

    @property
    def idle(self) -> bool:
        """True between responses with nothing buffered: the only safe moment to switch to TLS."""
        return self._stack is None and self._sink is None and self._pos == len(self._buf)

    def feed(self, data: bytes) -> Iterator[Response]:
        if self._failed is not None:
            raise self._failed
        if self._pos:
            del self._buf[: self._pos]
            self._scan = max(0, self._scan - self._pos)
            self._pos = 0
        self._buf += data
        return self._responses()

    def take_unparsed(self) -> bytes:
        """Remove and return the bytes fed but not parsed yet; only between responses.

        After the OK to COMPRESS the server's next byte is already compressed: the connection takes what came
        behind the OK in the same read, inflates it and feeds it again.
        """
        if self._stack is not None or self._sink is not None:
            raise RuntimeError("a response is half parsed")
        rest = bytes(self._buf[self._pos :])
        self._buf.clear()
        self._pos = self._scan = 0
        return rest

    def close(self) -> None:
        """Forget any half-received response and delete its spool files (the connection is going away)."""
        self._discard_partial()
        self._buf.clear()
        self._pos = self._scan = 0

    def _responses(self) -> Iterator[Response]:
        while True:
            if self._failed is not None:
                raise self._failed
            try:
                response = self._next()
            except Malformed as exc:
                self._discard_partial()
                self._failed = IMAPParseError(str(exc), host=self._host, port=self._port)
                raise self._failed from None
            if response is None:
                return
            yield response

    def _next(self) -> Response | None:
        buf = self._buf
        limits = self.limits
        while True:
            if self._sink is not None:
                if self._remaining:
                    end = min(len(buf), self._pos + self._remaining)
                    if end == self._pos:
                        return None
                    with memoryview(buf) as view, view[self._pos : end] as chunk:
                        self._sink.write(chunk)
                    self._remaining -= end - self._pos
                    self._pos = self._scan = end
                    if self._remaining:
                        return None
                self._finish_literal()
                continue
            end = buf.find(b"\r\n", self._scan)
            if end < 0:
                if len(buf) - self._pos > limits.max_line:
                    raise Malformed(f"a line is longer than {limits.max_line} bytes")
                self._scan = max(self._pos, len(buf) - 1)  # a CR at the very end may meet its LF next time
                return None
            if end - self._pos > limits.max_line:
                raise Malformed(f"a line is longer than {limits.max_line} bytes")
            seg = bytes(buf[self._pos : end])
            self._pos = self._scan = end + 2
            self._charge(len(seg))
            response = self._start(seg) if self._stack is None else self._continue(seg, 0)
            if response is not None:
                return response

    def _charge(self, size: int) -> None:
        self._memory += size
        if self._memory > self.limits.max_memory:
            raise Malformed(f"one response needs more than {self.limits.max_memory} bytes of memory")

    def _start(self, seg: bytes) -> Response | None:
        if seg[:1] == b"+":
            self._memory = 0
            return ContinuationRequest(seg[2:] if seg[1:2] == b" " else seg[1:])
        if seg[:2] == b"* ":
            number: int | None = None
            m = _NUMBERED.match(seg, 2)
            if m is not None:
                number, raw_name = int(m[1]), m[2]
            else:
                m = _NAME.match(seg, 2)
                if m is None:
                    raise Malformed(f"an untagged response has no name: {seg[:40]!r}")
                raw_name = m[1]
            name = raw_name.decode("ascii").upper()
            if number is None and name in STATUS_NAMES:
                code, text = self._resp_text(seg, m.end())
                self._memory = 0
                return UntaggedResponse(name, code=code, text=text)
            self._stack = [[]]
            self._head = (name, number)
            return self._continue(seg, m.end())
        m = _TAGGED.match(seg)
        if m is None:
            raise Malformed(f"not an IMAP response: {seg[:40]!r}")
        status = _TAGGED_STATUS.get(m[2].upper())
        if status is None:
            raise Malformed(f"a tagged response with status {m[2]!r}")
        code, text = self._resp_text(seg, m.end())
        self._memory = 0
        return TaggedResponse(m[1].decode("ascii"), status, code, text)

    def _continue(self, seg: bytes, i: int) -> Response | None:
        assert self._stack is not None
        size = scan_values(seg, i, self._stack, self.limits.max_depth, fast=self._fast_path)
        if size is not None:
            if size > self.limits.max_literal:
                raise Malformed(f"a literal of {size} bytes is over the limit of {self.limits.max_literal}")
            if size <= self.limits.spill_threshold:
                self._charge(size)
                start = self._pos
                if self._fast_path and len(self._buf) - start >= size:
                    # The whole literal is already here (the common case for mail below the read size): one
                    # copy straight into the value, no sink.
                    with memoryview(self._buf) as view, view[start : start + size] as chunk:
                        self._stack[-1].append(BytesLiteral(chunk))
                    self._pos = self._scan = start + size
                    return None
            self._sink = open_sink(
                size, spill_threshold=self.limits.spill_threshold, spool_dir=self.limits.spool_dir
            )
            self._remaining = size
            return None
        if len(self._stack) > 1:
            raise Malformed("a parenthesised list is not closed at the end of the response")
        name, number = self._head
        response = UntaggedResponse(name, number, tuple(self._stack[0]))
        self._stack = None
        self._spooled = []
        self._memory = 0
        return response

    def _finish_literal(self) -> None:
        assert self._sink is not None and self._stack is not None
        literal = self._sink.finish()
        self._sink = None
        if isinstance(literal, FileLiteral):
            self._spooled.append(literal)
        self._stack[-1].append(literal)

    def _resp_text(self, seg: bytes, i: int) -> tuple[ResponseCode | None, str]:
        rest = seg[i + 1 :] if seg[i : i + 1] == b" " else seg[i:]
        code = None
        if rest[:1] == b"[":
            m = _CODE.match(rest)
            if m is not None:  # else: a text that merely starts with "[" (lenient)
                code = ResponseCode(m[1].decode("ascii").upper(), self._code_args(m[2]))
                rest = rest[m.end() :]
                if rest[:1] == b" ":
                    rest = rest[1:]
        return code, _human_text(rest)

    def _code_args(self, raw: bytes | None) -> tuple[Value, ...]:
        if not raw:
            return ()
        stack: list[list[Value]] = [[]]
        try:
            literal = scan_values(raw, 0, stack, self.limits.max_depth, fast=self._fast_path)
        except Malformed:
            literal = -1
        if literal is not None or len(stack) != 1:
            return (Atom(raw),)  # free-text arguments, e.g. a REFERRAL or a vendor's code
        return tuple(stack[0])

    def _discard_partial(self) -> None:
        if self._sink is not None:
            self._sink.abort()
            self._sink = None
        for literal in self._spooled:
            literal.discard()
        self._spooled = []
        self._stack = None
        self._remaining = 0
        self._memory = 0


def _human_text(raw: bytes) -> str:
    """Status text as the server meant it: UTF-8, else GB18030 (Chinese providers answer in GBK, e.g.
    a refused login that asks for the 授权码), else UTF-8 with replacement characters."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")
