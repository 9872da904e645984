"""The byte side of a connection: reading, writing, waiting, and switching layers (TLS, COMPRESS).

:class:`Wire` is the base of :class:`~.connection.IMAPConnection`: it owns the transport, the parser and the
router, turns bytes into routed responses, and bounds every wait with the inactivity timeout. The command side
(tags, literals, continuations, pipelining) is in :mod:`.connection`.

Layer switches happen while routing, at the exact response: after the tagged OK to STARTTLS reading stops
before the next byte (a byte already past the OK was injected in plaintext); after the OK to COMPRESS the
rest of the same read is already deflated and is taken back from the parser, inflated and fed again.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Any, TypeVar

from mailwarden.core.errors import MailwardenError, NetworkError, TLSFailure
from mailwarden.imap.compress import Deflate
from mailwarden.imap.dispatch import Router
from mailwarden.imap.errors import IMAPError, seconds_text, translate_os_error
from mailwarden.imap.parser import ParserLimits, ResponseParser
from mailwarden.imap.protocol import IMAPProtocol, describe
from mailwarden.imap.responses import TaggedResponse
from mailwarden.imap.streams import StreamOverflow

__all__ = ["Wire"]

trace_log = logging.getLogger("mailwarden.imap.trace")

T = TypeVar("T")


class Wire:
    """Transport, parser and router of one connection, and the clock that bounds waiting on them."""

    def __init__(
        self, host: str, port: int, *, timeout: float, limits: ParserLimits | None, trace: bool
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._parser = ResponseParser(limits, host=host, port=port)
        self._router = Router(host=host, port=port)
        self._protocol = IMAPProtocol(self)
        self._transport: asyncio.Transport | None = None
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._write_ready: asyncio.Future[None] | None = None
        self._closing = False
        self._encrypted = False
        self._deflate: Deflate | None = None
        self._paused_by: set[object] = set()
        self._last_io = self._loop.time()
        self._trace = trace
        self._redacting = False

    @property
    def usable(self) -> bool:
        return self._router.failure is None and not self._closing and not self._lost.done()

    async def close(self) -> None:
        """Close the socket and wait (bounded) until it is gone. No LOGOUT: that is the client's business."""
        if self._transport is None or self._lost.done():
            return
        self._closing = True
        self._transport.close()
        try:
            async with asyncio.timeout(self.timeout):
                await asyncio.shield(self._lost)
        except TimeoutError:
            self._transport.abort()

    def abort(self) -> None:
        """Drop the connection at once (timeouts, protocol violations, cancellation mid-command)."""
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    # FlowControl, for ResponseStream backpressure
    def pause_reading(self, owner: object) -> None:
        if not self._paused_by and self._transport is not None:
            self._transport.pause_reading()
        self._paused_by.add(owner)

    def resume_reading(self, owner: object) -> None:
        self._paused_by.discard(owner)
        if not self._paused_by and self._transport is not None and self.usable:
            self._last_io = self._loop.time()
            self._transport.resume_reading()

    # writing
    def _write(self, data: bytes, trace: str | None) -> None:
        assert self._transport is not None
        if self._trace and trace is not None:
            trace_log.debug("imap %s:%s C: %s", self.host, self.port, trace)
        if self._deflate is not None:
            data = self._deflate.deflate(data)
        self._transport.write(data)
        self._last_io = self._loop.time()

    async def _drain(self, command: str) -> None:
        if self._write_ready is not None:
            await self._result(self._write_ready, command=command)

    # waiting
    async def _result(self, future: asyncio.Future[T], *, command: str) -> T:
        await self._wait(future, command=command)
        return future.result()

    async def _wait(self, *futures: asyncio.Future[Any], command: str) -> None:
        """Until one of ``futures`` is done, or ``timeout`` seconds pass with no traffic (then fail)."""
        while not any(f.done() for f in futures):
            idle = 0.0 if self._paused_by else self._loop.time() - self._last_io
            remaining = self.timeout - idle
            if remaining <= 0:
                seconds = seconds_text(self.timeout)
                error = NetworkError(
                    "imap.timeout", host=self.host, port=self.port, command=command, seconds=seconds
                )
                self._router.fail(error)
                self.abort()
                raise error
            await asyncio.wait(futures, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    # receiving (IMAPProtocol calls these)
    def _transport_made(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def _writing_paused(self, paused: bool) -> None:
        if paused:
            self._write_ready = self._loop.create_future()
            return
        ready, self._write_ready = self._write_ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)

    def _data_received(self, data: bytes) -> None:
        self._last_io = self._loop.time()
        try:
            if self._deflate is None:
                self._feed(data)
            else:
                self._feed_compressed(data)
        except StreamOverflow as exc:
            self._router.fail(IMAPError("imap.backlog", host=self.host, port=self.port, detail=str(exc)))
            self.abort()
        except zlib.error as exc:
            self._router.fail(IMAPError("imap.compress", host=self.host, port=self.port, detail=str(exc)))
            self.abort()
        except MailwardenError as exc:
            self._router.fail(exc)
            self.abort()

    def _feed_compressed(self, data: bytes) -> None:
        assert self._deflate is not None
        for piece in self._deflate.inflate(data):
            self._feed(piece)

    def _feed(self, data: bytes) -> None:
        for response in self._parser.feed(data):
            if self._trace:
                shown = describe(response, redacting=self._redacting)
                trace_log.debug("imap %s:%s S: %s", self.host, self.port, shown)
            if isinstance(response, TaggedResponse) and response.status == "OK":
                command = self._router.command_for(response.tag)
                if command == "STARTTLS":
                    self._stop_for_tls()
                    self._router.route(response)
                    return
                if command == "COMPRESS":
                    self._router.route(response)
                    rest = self._parser.take_unparsed()
                    self._deflate = Deflate()
                    if rest:
                        self._feed_compressed(rest)
                    return
            self._router.route(response)

    def _stop_for_tls(self) -> None:
        """Stop reading before the handshake; a byte already past the OK was injected in plaintext."""
        assert self._transport is not None
        self._transport.pause_reading()
        if not self._parser.idle:  # the CVE-2011-0411 family: commands or answers smuggled before TLS
            raise TLSFailure("imap.starttls_injection", host=self.host, port=self.port, permanent=True)

    # failing
    def _raise_if_unusable(self) -> None:
        if self._router.failure is not None:
            raise self._router.failure
        if self._closing or self._lost.done() or self._transport is None:
            raise IMAPError("imap.closed", host=self.host, port=self.port, permanent=False)

    def _connection_lost(self, exc: Exception | None) -> None:
        bye = self._router.bye
        if self._closing:
            error: MailwardenError = IMAPError("imap.closed", host=self.host, port=self.port, permanent=False)
        elif exc is not None:
            error = translate_os_error(exc, host=self.host, port=self.port, seconds=self.timeout)
        elif bye is not None:
            code = bye.code.name if bye.code else None
            error = IMAPError.from_status(
                "BYE", code=code, text=bye.text, command=None, host=self.host, port=self.port
            )
        else:
            error = NetworkError("net.closed", host=self.host, port=self.port)
        self._router.fail(error, clean=self._closing and self._router.failure is None)
        self._parser.close()
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)
        self._lost.set_result(None)
