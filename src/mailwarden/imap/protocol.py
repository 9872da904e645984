"""The asyncio side of a connection: the Protocol glue, socket options, and what the trace may show.

Kept apart from :mod:`.connection` so that the connection reads as IMAP (commands, completions, timeouts)
and this file as sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Protocol

from mailwarden.imap.responses import ContinuationRequest, Response, TaggedResponse

__all__ = ["ConnectionSide", "IMAPProtocol", "describe", "tune_socket"]

#: TCP keepalive: an idle connection (IDLE for 28 minutes) to a peer that vanished without a FIN (NAT
#: timeout, a pulled cable) is noticed after about 60 + 3 * 20 seconds instead of at the next renewal.
_KEEPALIVE = (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 20), ("TCP_KEEPCNT", 3))


class ConnectionSide(Protocol):
    """What the protocol calls back into (the connection)."""

    def _transport_made(self, transport: asyncio.Transport) -> None: ...
    def _data_received(self, data: bytes) -> None: ...
    def _connection_lost(self, exc: Exception | None) -> None: ...
    def _writing_paused(self, paused: bool) -> None: ...


class IMAPProtocol(asyncio.Protocol):
    """Thin glue: the connection does the work."""

    def __init__(self, side: ConnectionSide) -> None:
        self._side = side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._side._transport_made(transport)

    def data_received(self, data: bytes) -> None:
        self._side._data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._side._connection_lost(exc)

    def pause_writing(self) -> None:
        self._side._writing_paused(True)

    def resume_writing(self) -> None:
        self._side._writing_paused(False)


def tune_socket(transport: asyncio.Transport | None) -> None:
    """TCP_NODELAY and keepalive, where the platform has them."""
    sock = transport.get_extra_info("socket") if transport else None
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):
        # Nagle's algorithm stalls IMAP's small request/response round trips (pymap needed it, see LAB.md).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in _KEEPALIVE:
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)


def describe(response: Response, *, redacting: bool) -> str:
    """A response as the protocol trace shows it: status texts, but never data values or literals."""
    if isinstance(response, ContinuationRequest):
        return "+ <redacted>" if redacting else f"+ {response.data[:120]!r}"
    code = f"[{response.code.name}] " if response.code else ""
    if isinstance(response, TaggedResponse):
        return f"{response.tag} {response.status} {code}{response.text[:200]}"
    if response.is_status:
        return f"* {response.name} {code}{response.text[:200]}"
    number = f"{response.number} " if response.number is not None else ""
    return f"* {number}{response.name} <{len(response.data)} values>"
