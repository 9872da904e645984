"""Raw bytes to a ``compat32`` :class:`email.message.Message` tree, without reading the body line by line.

The stdlib's ``BytesFeedParser`` splits the whole input into lines and runs a regular expression per line
per enclosing boundary: a 2 MB base64 attachment is some 27,000 trips through Python, and the parser was
more than half of mailwarden's parsing time. This module builds the *same* tree (same headers, payload
strings, preamble, epilogue, default types and defect classes; ``tests/unit/mime/test_mime_split.py``
checks it against the stdlib on generated messages) but finds boundary lines with ``bytes.find`` on the
whole buffer: only lines that start with ``--`` are looked at, and a part's body is one slice.

The rules it follows are the feedparser's, not only RFC 2046's, because the rest of the package was built
on (and tested against) those trees:

* a boundary line is ``--boundary``, optionally ``--``, then spaces or tabs, at the start of a line (after
  CRLF, LF or a lone CR); the line break before it belongs to it;
* a line that is a boundary of an *outer* multipart ends every part inside it, and the outermost multipart
  whose boundary it is owns it (the feedparser checks its stack of boundaries before the current one);
* repeated boundary lines produce no empty parts; an open boundary followed by the end of the input (or by
  an outer boundary) produces one empty part, as the feedparser does;
* headers end at the first line that is not a header line (``MissingHeaderBodySeparatorDefect`` unless it
  is blank), or at a boundary line; values keep their folding line breaks, as ``compat32`` keeps them.

One deliberate difference: a ``message/*`` part (``message/rfc822``, ``message/delivery-status``, ...) is
not parsed into sub-messages; its payload is its body as text, exactly the bytes sent. mailwarden treats such
parts as leaves anyway, and the bytes as sent are more faithful than a message serialised again.

No recursion: nesting is an explicit stack. A multipart nested ``max_depth`` levels deep is not split, and
neither is one whose next part would exceed ``max_parts`` parts in all (its parts so far are dropped); such
a part keeps its body as one text payload and is listed in :attr:`Split.unsplit`.

Memory: the text of each header and each leaf's body is decoded from the input once (ASCII with
``surrogateescape``, as the feedparser decodes); nothing else holds a second copy of the input.

Time: linear in the input. Every search starts where the previous one stopped, and a header block stops
at the first boundary line even when that line looks like a header (a boundary may contain ":"), so no part
is scanned on behalf of the parts after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import errors
from email.message import Message
from email.policy import compat32

from mailwarden.mime.fields import (
    INDEX,
    _transfer_encoding,
    boundary_of,
    content_type,
    decode,
    header_fields,
    strip_break,
)

__all__ = ["Split", "split"]

#: where a part keeps its headers by lower-case name (see :func:`header_index`)

# a field name (printable ASCII but ":"), a unix "From " line, or a continuation: feedparser's headerRE
_HEADER_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
#: a run of complete header lines; inside a multipart, stopping before lines that may be boundary lines
_HEADER_BLOCK = re.compile(rb"(?:(?:From |[\041-\071\073-\176]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n))*")
_HEADER_BLOCK_NO_DASHES = re.compile(
    rb"(?:(?:From |(?!--)[\041-\071\073-\176]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n))*"
)
_CR, _LF = 13, 10


@dataclass(slots=True)
class Split:
    message: Message
    #: multiparts left as one text payload because of the depth or part limits
    unsplit: list[Message] = field(default_factory=list)


@dataclass(slots=True)
class _Boundary:
    """A boundary line: where it starts, whose it is (``level``), whether it closes, where the next line is"""

    start: int
    level: int
    close: bool
    next: int
    has_break: bool


@dataclass(slots=True)
class _Frame:
    """A multipart being split."""

    msg: Message
    key: bytes | None  # the boundary as bytes; None when no line can match it
    depth: int  # also its level in the boundary stack
    body: int  # where its body starts
    prefix: bytes  # a "From " line given back to the body, before ``body`` (see _Splitter._headers)
    parts_before: int
    digest: bool
    at: _Boundary | None = None  # the open boundary line to continue from


def split(data: bytes, *, max_depth: int, max_parts: int) -> Split:
    """The message tree of ``data``; like the feedparser, it notes what is wrong as defects on the parts."""
    return _Splitter(data, max_depth, max_parts).run()


class _Splitter:
    def __init__(self, data: bytes, max_depth: int, max_parts: int) -> None:
        self.data = data
        self.size = len(data)
        self.view = memoryview(data)
        self.max_depth = max_depth
        self.max_parts = max_parts
        self.parts = 0
        #: active boundary -> the outermost level using it (that level owns a line matching it)
        self.owner: dict[bytes, int] = {}
        self.result = Split(Message(policy=compat32))

    # -- text ------------------------------------------------------------------------------------------

    def _text(
        self, start: int, end: int, prefix: bytes = b"", *, strip: bool = False, line: bool = False
    ) -> str:
        """``prefix + data[start:end]`` as compat32 text.

        ``strip`` drops one final line break: the one before a boundary line belongs to that line. The
        feedparser drops it from the joined payload, but from the last *line* of a preamble (``line``); the
        two differ only when a "From " line was given back to the body (see :meth:`_headers`).
        """
        if prefix:
            head = decode(prefix)
            if not strip:
                return head + str(self.view[start:end], "ascii", "surrogateescape")
            if end == start:
                return strip_break(head)
            if not line:
                return strip_break(head + str(self.view[start:end], "ascii", "surrogateescape"))
            return head + self._text(start, end, strip=True)
        if strip and end > start:
            last = self.data[end - 1]
            if last == _LF:
                end -= 2 if end - start >= 2 and self.data[end - 2] == _CR else 1
            elif last == _CR:
                end -= 1
        return str(self.view[start:end], "ascii", "surrogateescape")

    # -- boundary lines ----------------------------------------------------------------------------------

    def _boundary_at(self, pos: int) -> tuple[_Boundary | None, int]:
        """Whether the line at ``pos`` (which starts with ``--``) is an active boundary; and the next line."""
        data = self.data
        found = _LINE_BREAK.search(data, pos + 2)
        end, after = (found.start(), found.end()) if found else (self.size, self.size)
        rest = data[pos + 2 : end].rstrip(b" \t")
        level = self.owner.get(rest)
        close = False
        if rest.endswith(b"--"):
            closing = self.owner.get(rest[:-2])
            if closing is not None and (level is None or closing < level):
                level, close = closing, True
        if level is None:
            return None, after
        return _Boundary(pos, level, close, after, after > end), after

    def _next_boundary(self, pos: int) -> _Boundary | None:
        """The first active boundary line at or after ``pos`` (a line start), or None for the end of input."""
        if not self.owner:
            return None
        data = self.data
        find = data.find
        while True:
            dashes = find(b"--", pos)
            if dashes < 0:
                return None
            if dashes == pos or data[dashes - 1] in (_CR, _LF):
                line, pos = self._boundary_at(dashes)
                if line is not None:
                    return line
            else:
                found = _LINE_BREAK.search(data, dashes)
                if found is None:
                    return None
                pos = found.end()

    def _line_boundary(self, pos: int) -> _Boundary | None:
        if self.owner and self.data.startswith(b"--", pos):
            return self._boundary_at(pos)[0]
        return None

    # -- headers ---------------------------------------------------------------------------------------

    def _headers(self, msg: Message, pos: int) -> tuple[int, bytes]:
        """Read the header block at ``pos`` into ``msg``; return where the body starts.

        A boundary line ends the block, even one that looks like a header line (a boundary may hold a
        ":"): inside a multipart, header lines starting with "--" are checked one by one, so the block
        never runs past the part (scanning on into later parts would make the work quadratic).

        A "From " line last in the block is given back to the body (feedparser's rule). When the block
        ended with a blank line, that blank line is gone and the body is not one slice: the "From " line
        is returned separately as a prefix.
        """
        data, size, owner = self.data, self.size, self.owner
        block = _HEADER_BLOCK_NO_DASHES if owner else _HEADER_BLOCK
        end, at_boundary = pos, False
        while True:
            run = block.match(data, end)
            end = run.end() if run else end
            if not (owner and data.startswith(b"--", end)):
                break
            line, after = self._boundary_at(end)
            if line is not None:
                at_boundary = True
                break
            if _HEADER_LINE.match(data, end) is None:
                break
            end = after  # a header line that only starts like a boundary line
        blank = False
        if end < size and not at_boundary:
            if data[end] in (_CR, _LF):
                blank = True
            elif _HEADER_LINE.match(data, end):  # the last line of the input, without a line break
                end = size
            else:
                msg.defects.append(errors.MissingHeaderBodySeparatorDefect())
        lines = data[pos:end].splitlines(keepends=True)  # bytes split at CRLF, LF and CR only
        index: dict[str, list[str]] = {}
        msg.__dict__[INDEX] = index
        given_back = header_fields(msg, index, lines) if lines else None
        body = end
        if blank:
            found = _LINE_BREAK.match(data, end)
            body = found.end() if found else end + 1
        if given_back is None:
            return body, b""
        return (body, given_back) if blank else (end - len(given_back), b"")

    # -- parts -----------------------------------------------------------------------------------------

    def run(self) -> Split:
        root = self.result.message
        body, prefix = self._headers(root, 0)
        multipart = content_type(root).startswith("multipart/")
        if multipart:
            self._split_multipart(root, body, prefix)
        else:
            root.set_payload(self._text(body, self.size, prefix))
        unsplit = root in self.result.unsplit  # not a defect of the message, and too_complex says so
        if multipart and not root.is_multipart() and not unsplit:
            root.defects.append(errors.MultipartInvariantViolationDefect())
        self.view.release()
        return self.result

    def _child(self, frame: _Frame) -> Message:
        child = Message(policy=compat32)
        if frame.digest:
            child.set_default_type("message/rfc822")
        frame.msg.attach(child)
        return child

    def _leaf(self, msg: Message, body: int, prefix: bytes) -> _Boundary | None:
        end = self._next_boundary(body)
        msg.set_payload(self._text(body, self.size if end is None else end.start, prefix, strip=True))
        return end

    def _start(self, msg: Message, body: int, prefix: bytes, depth: int) -> _Frame | _Boundary | None:
        """Begin a multipart: a frame whose first part starts at ``frame.at``, or the line it ended at."""
        boundary = boundary_of(msg)
        if boundary is None:
            msg.defects.append(errors.NoBoundaryInMultipartDefect())
            end = self._next_boundary(body)
            msg.set_payload(self._text(body, self.size if end is None else end.start, prefix))
            return end
        if _transfer_encoding(msg).lower() not in ("7bit", "8bit", "binary"):
            msg.defects.append(errors.InvalidMultipartContentTransferEncodingDefect())
        if depth >= self.max_depth:
            self.result.unsplit.append(msg)
            end = self._next_boundary(body)
            msg.set_payload(
                self._text(body, self.size if end is None else end.start, prefix, strip=depth > 0)
            )
            return end
        try:
            key: bytes | None = boundary.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # not a character the input can hold: no line is this boundary
            key = None
        digest = content_type(msg) == "multipart/digest"
        frame = _Frame(msg, key, depth, body, prefix, self.parts, digest)
        if key is not None and key not in self.owner:
            self.owner[key] = frame.depth
        first = self._next_boundary(body)
        if first is not None and first.level == frame.depth and not first.close:
            if prefix or first.start > body:
                msg.preamble = self._text(body, first.start, prefix, strip=True, line=True)
            frame.at = first
            return frame
        # no opening boundary before the end (of the input, or of an outer part), or the closing one first
        msg.defects.append(errors.StartBoundaryNotFoundDefect())
        msg.set_payload(self._text(body, self.size if first is None else first.start, prefix))
        msg.epilogue = ""
        self._forget(frame)
        if first is not None and first.level == frame.depth:  # what follows the close is dropped
            first = self._next_boundary(first.next)
        return first

    def _forget(self, frame: _Frame) -> None:
        if frame.key is not None and self.owner.get(frame.key) == frame.depth:
            del self.owner[frame.key]

    def _split_multipart(self, root: Message, body: int, prefix: bytes) -> None:
        started = self._start(root, body, prefix, 0)
        if not isinstance(started, _Frame):
            return
        stack = [started]
        while stack:
            frame = stack[-1]
            assert frame.at is not None
            pos, empty_until = self._after_boundaries(frame, frame.at.next)
            if self.parts >= self.max_parts:
                end = self._collapse(frame)
                stack.pop()
                self._resume(stack, end)
                continue
            self.parts += 1
            child = self._child(frame)
            if pos is None:  # an opening boundary with nothing after it: one empty part
                child.set_payload("")
                end = empty_until
            else:
                child_body, child_prefix = self._headers(child, pos)
                if not content_type(child).startswith("multipart/"):
                    end = self._leaf(child, child_body, child_prefix)
                else:
                    started = self._start(child, child_body, child_prefix, frame.depth + 1)
                    if isinstance(started, _Frame):
                        stack.append(started)
                        continue
                    _trim_epilogue(child)
                    end = started
            self._resume(stack, end)

    def _after_boundaries(self, frame: _Frame, pos: int) -> tuple[int | None, _Boundary | None]:
        """Skip further boundary lines of ``frame`` (feedparser makes no empty parts of them): the start of
        the next part, or (None, the outer boundary or None at the end) when there is no next part."""
        while pos < self.size:
            line = self._line_boundary(pos)
            if line is None:
                return pos, None
            if line.level < frame.depth:
                return None, line
            pos = line.next
        return None, None

    def _resume(self, stack: list[_Frame], end: _Boundary | None) -> None:
        """Continue the innermost multipart at ``end``, finishing it (and the ones it ends) as needed."""
        while stack:
            frame = stack[-1]
            msg = frame.msg
            if end is not None and end.level == frame.depth and not end.close:
                frame.at = end
                return
            self._forget(frame)
            if end is not None and end.level == frame.depth:  # the close boundary: the rest is epilogue
                after = self._next_boundary(end.next) if end.has_break else None
                stop = self.size if after is None else after.start
                msg.epilogue = self._text(end.next, stop) if end.has_break else ""
                end = after
            else:
                msg.defects.append(errors.CloseBoundaryNotFoundDefect())
            stack.pop()
            if stack:
                _trim_epilogue(msg)

    def _collapse(self, frame: _Frame) -> _Boundary | None:
        """Out of parts: keep the multipart's whole body as one text payload, dropping its parts."""
        self._forget(frame)
        assert frame.at is not None
        end = self._next_boundary(frame.at.start)
        stop = self.size if end is None else end.start
        msg = frame.msg
        msg.set_payload(self._text(frame.body, stop, frame.prefix, strip=frame.depth > 0))
        msg.preamble = msg.epilogue = None
        self.parts = frame.parts_before
        self.result.unsplit.append(msg)
        return end


def _trim_epilogue(msg: Message) -> None:
    """The line break before the parent's next boundary line belongs to that line, not to the epilogue."""
    if msg.epilogue == "":
        msg.epilogue = None
    elif msg.epilogue is not None:
        msg.epilogue = strip_break(msg.epilogue)
