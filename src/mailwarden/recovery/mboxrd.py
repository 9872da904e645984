"""mboxrd (the "From " quoting that can be undone), written and read.

In mboxrd every line that starts with any number of ``>`` followed by ``From `` gets one more ``>`` on the
way in and loses one on the way out, so a body line ``From here on ...`` or ``>From`` survives the round trip
exactly (plain mboxo quotes only ``From `` and cannot tell a quoted line from one that was written so).

A message is followed by one empty line. Line ends are kept as the server stored them (CRLF for IMAP), so
the bytes between the separators are the archived bytes, quoting aside. A message that does not end with a
line break gets one (mbox cannot represent it otherwise); the export's manifest says so for that message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

__all__ = ["from_line", "quote", "read_messages", "unquote"]

_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
_UNQUOTE = re.compile(rb"^>(>*From )", re.MULTILINE)
_SENDER = re.compile(r"[^\x21-\x7e]")


def quote(raw: bytes) -> bytes:
    return _QUOTED.sub(rb">\1", raw)


def unquote(body: bytes) -> bytes:
    return _UNQUOTE.sub(rb"\1", body)


def from_line(sender: str | None, moment: datetime | None) -> bytes:
    """``From sender@example.com Sat Jan  3 01:05:34 1996`` (asctime, UTC): the envelope sender and the
    date the server received the message."""
    who = _SENDER.sub("", sender or "") or "MAILER-DAEMON"
    when = (moment or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC)
    return f"From {who} {when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}\n".encode("ascii")


def read_messages(stream: BinaryIO) -> Iterator[bytes]:
    """The messages of an mboxrd file, unquoted, without their ``From `` lines and separators."""
    current: list[bytes] | None = None
    for line in stream:
        if line.startswith(b"From ") and (current is None or not current or current[-1] == b"\n"):
            if current is not None:
                yield _finish(current)
            current = []
            continue
        if current is None:
            raise ValueError("not an mbox file: it does not start with a From line")
        current.append(line)
    if current is not None:
        yield _finish(current)


def _finish(lines: list[bytes]) -> bytes:
    if lines and lines[-1] == b"\n":
        lines = lines[:-1]  # the separator
    return unquote(b"".join(lines))
