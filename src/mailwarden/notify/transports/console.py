"""The console: alerts printed on the worker's standard output (``console://stdout``) or standard error
(``console://stderr``), one block each. For ``mailwarden demo``, for trying rules out before a chat bot
exists, and as a last-resort channel whose lines end up in the service's journal.

Nothing can refuse a console, so a send fails only when the stream is gone (a closed pipe): that is an
``OSError``, retried like a network failure.
"""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO
from urllib.parse import urlsplit

from mailwarden.core.errors import InputError
from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["Console", "stream_name"]

_STREAMS = ("stdout", "stderr")
_MARK = {"critical": "!!", "warning": "! ", "info": "··"}


def stream_name(url: str) -> str:
    """``stdout`` or ``stderr`` from a ``console://`` URL; anything else is a usage error."""
    parts = urlsplit(url.strip())
    if parts.scheme != "console" or parts.hostname not in _STREAMS or parts.path.strip("/"):
        raise InputError("notify.bad_console_url", url=url)
    return parts.hostname


class Console(Transport):
    kind: ClassVar[str] = "console"
    schemes = ("console",)

    def render(self, message: Rendered) -> str:
        mark = _MARK.get(message.severity, "··")
        lines = [f"{mark} [{message.kind}] {message.title}"]
        lines += [f"   {line}" for line in message.lines]
        mentioned = [
            f"@{person.name}" + (f" ({uid})" if uid else "") for person, uid in self.mentioned(message)
        ]
        if mentioned:
            lines.append("   " + " ".join(mentioned))
        if message.link:
            lines.append(f"   {message.link_label}: {message.link}")
        return "\n".join(lines) + "\n"

    async def send(self, message: Rendered) -> str:
        stream: TextIO = sys.stdout if stream_name(self.target.url) == "stdout" else sys.stderr
        stream.write(self.render(message))
        stream.flush()
        return "printed"
