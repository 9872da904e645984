"""TCP: connect, and name what happened the way a firewall admin would.

The kernel tells the cases apart, and so do we: no answer at all until the timeout (a DROP rule, a
filtering firewall), an RST (REJECT ``tcp-reset``, or nothing listening: *refused*), an ICMP unreachable
(*unreachable*), or a connection that opens and is reset at once (*reset*: a proxy or IPS cutting it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from dataclasses import dataclass

from mailwarden.diagnose.evidence import TcpOutcome

__all__ = ["Connected", "classify", "open_tcp"]

_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})


@dataclass
class Connected:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str

    async def close(self) -> None:
        self.writer.close()
        # closing a socket the peer already reset: nothing is left to free
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


def classify(exc: BaseException) -> tuple[TcpOutcome, str]:
    """The outcome name and a detail for a failed connect (or a read that failed right after it)."""
    if isinstance(exc, TimeoutError):
        return "timeout", "no answer (packets dropped)"
    if isinstance(exc, socket.gaierror):
        return "dns_error", exc.strerror or str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "refused", exc.strerror or "connection refused"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "reset", exc.strerror or "connection reset"
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return "unreachable", exc.strerror or str(exc)
    return "error", f"{type(exc).__name__}: {exc}"


async def open_tcp(host: str, port: int, timeout: float) -> Connected:  # noqa: ASYNC109 -- per-connect bound
    """Connect or raise (``TimeoutError`` and ``OSError``: pass them to :func:`classify`)."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port, happy_eyeballs_delay=0.25)
    peer = writer.get_extra_info("peername")
    address = f"{peer[0]}:{peer[1]}" if peer else ""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connected(reader, writer, address)
