"""One IMAP connection: the socket, TLS, tags, and routing each response to whoever is waiting for it.

Shape, and why:

* **An asyncio Protocol, not a StreamReader loop.** Bytes go from ``data_received`` straight into the parser
  and each finished response is dispatched at once. That gives exact control at the two moments that need it:
  after the tagged OK to STARTTLS (stop reading *before* the next byte, so injected plaintext is caught), and
  under backpressure (``transport.pause_reading()`` when a consumer of a big FETCH falls behind).
* **Pipelining-ready dispatch.** Every command in flight is a ``Pending`` keyed by tag. An untagged response
  goes to the oldest command that declared it ``wants`` that response name (``CAPABILITY``, ``FETCH``,
  ``LIST``...), into its list or its :class:`~.streams.ResponseStream`; otherwise to
  :attr:`IMAPConnection.unsolicited` (EXISTS/EXPUNGE/VANISHED pushed by the server, what IDLE watches).
* **One sender at a time.** A send lock covers only the *sending* of a command, including the ``+``
  round trips its synchronising literals or SASL exchange need, so a continuation request always belongs to
  the lock holder. Waiting for the tagged completion happens outside the lock: the next command can go out.
* **Inactivity timeouts.** Every wait is bounded by ``timeout`` seconds *without traffic*, not by a total: a
  30-minute FETCH of a big mailbox is fine as long as bytes keep coming. A timeout breaks the connection (the
  stream is out of step) and raises ``NetworkError`` with key ``imap.timeout``.
* **Credentials never reach a log.** The log shows tag and command name; the optional protocol trace shows
  arguments except for commands marked ``redact`` (LOGIN, AUTHENTICATE), hides SASL continuations both ways,
  and never shows literal contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from mailwarden.core.errors import MailwardenError, NetworkError, TLSFailure
from mailwarden.imap.commands import Argument, LiteralMode, TagGenerator, encode_command
from mailwarden.imap.dispatch import Pending, Router
from mailwarden.imap.errors import IMAPError, seconds_text, translate_os_error
from mailwarden.imap.parser import ParserLimits, ResponseParser
from mailwarden.imap.responses import ContinuationRequest, Response, TaggedResponse, UntaggedResponse
from mailwarden.imap.streams import ResponseStream, StreamOverflow

__all__ = ["CommandResult", "IMAPConnection"]

log = logging.getLogger("mailwarden.imap")
trace_log = logging.getLogger("mailwarden.imap.trace")

T = TypeVar("T")
ContinuationHandler = Callable[[ContinuationRequest], bytes]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The tagged completion of a command and the untagged responses routed to it."""

    tagged: TaggedResponse
    untagged: tuple[UntaggedResponse, ...]


class _Protocol(asyncio.Protocol):
    """Thin glue: the connection does the work."""

    def __init__(self, connection: IMAPConnection) -> None:
        self._connection = connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._connection._transport = transport

    def data_received(self, data: bytes) -> None:
        self._connection._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection._on_lost(exc)

    def pause_writing(self) -> None:
        self._connection._write_ready = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        ready, self._connection._write_ready = self._connection._write_ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)


class IMAPConnection:
    """A connected socket speaking IMAP; :class:`~.client.IMAPClient` builds the commands on top."""

    def __init__(
        self, host: str, port: int, *, timeout: float, limits: ParserLimits | None, trace: bool
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._parser = ResponseParser(limits, host=host, port=port)
        self._router = Router(host=host, port=port)
        self._protocol = _Protocol(self)
        self._transport: asyncio.Transport | None = None
        self._tags = TagGenerator()
        self._send_lock = asyncio.Lock()
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._write_ready: asyncio.Future[None] | None = None
        self._closing = False
        self._encrypted = False
        self._paused_by: set[object] = set()
        self._last_io = self._loop.time()
        self._trace = trace
        self._redacting = False

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 -- the connection's inactivity limit, kept for its life
        limits: ParserLimits | None = None,
        trace: bool = False,
    ) -> IMAPConnection:
        """Open TCP (and TLS, given ``ssl_context``); maps every failure to NetworkError or TLSFailure."""
        connection = cls(host, port, timeout=timeout, limits=limits, trace=trace)
        tls: dict[str, Any] = {}
        if ssl_context is not None:
            tls = {"ssl": ssl_context, "server_hostname": server_hostname or host}
            tls["ssl_handshake_timeout"] = timeout
        try:
            async with asyncio.timeout(timeout):
                await connection._loop.create_connection(
                    lambda: connection._protocol, host, port, happy_eyeballs_delay=0.25, **tls
                )
        except OSError as exc:  # TimeoutError and ssl.SSLError are OSErrors too
            raise translate_os_error(exc, host=host, port=port, seconds=timeout) from exc
        connection._encrypted = ssl_context is not None
        connection._set_nodelay()
        return connection

    @property
    def capabilities(self) -> frozenset[str] | None:
        """Upper-case capability names, or None when unknown (before CAPABILITY, after STARTTLS or login)."""
        return self._router.capabilities

    def forget_capabilities(self) -> None:
        """After authentication the server may offer different capabilities (RFC 3501 6.2)."""
        self._router.capabilities = None

    @property
    def unsolicited(self) -> ResponseStream:
        """Untagged responses no command asked for: EXISTS, EXPUNGE, VANISHED, flag changes, alerts."""
        return self._router.unsolicited

    @property
    def bye(self) -> UntaggedResponse | None:
        """The last ``* BYE`` the server sent, if any."""
        return self._router.bye

    @property
    def encrypted(self) -> bool:
        return self._encrypted

    @property
    def usable(self) -> bool:
        return self._router.failure is None and not self._closing and not self._lost.done()

    async def greeting(self) -> UntaggedResponse:
        """The server's first words: untagged OK, PREAUTH or BYE."""
        return await self._result(self._router.greeting, command="greeting")

    async def execute(
        self,
        name: str,
        *args: Argument,
        wants: Iterable[str] = (),
        sink: ResponseStream | None = None,
        on_continuation: ContinuationHandler | None = None,
        redact: bool = False,
        check: bool = True,
    ) -> CommandResult:
        """Send one command and wait for its completion.

        ``wants`` names the untagged responses that belong to this command (collected in
        ``CommandResult.untagged``, or put into ``sink`` for streaming). ``on_continuation`` answers each
        ``+`` after the arguments are sent (SASL). ``redact`` keeps arguments and SASL lines out of the trace.
        With ``check``, NO and BAD raise :class:`~.errors.IMAPError`.
        """
        command = name.upper()
        async with self._send_lock:
            self._raise_if_unusable()
            tag = next(self._tags)
            encoded = encode_command(tag, command, args, literal_mode=self._literal_mode())
            pending = self._router.register(tag, command, frozenset(w.upper() for w in wants), sink)
            log.debug("imap %s:%s %s %s", self.host, self.port, tag, command)
            trace = f"{tag} {command} <redacted>" if redact else encoded.trace
            try:
                await self._send(pending, encoded.chunks, trace, on_continuation, redact)
            except BaseException:
                # Half a command on the wire leaves client and server out of step for good.
                if not pending.done.done():
                    self.abort()
                raise
        tagged = await self._result(pending.done, command=command)
        if sink is not None:
            sink.close()
        if check and tagged.status != "OK":
            code = tagged.code.name if tagged.code else None
            raise IMAPError.from_status(
                tagged.status, code=code, text=tagged.text, command=command, host=self.host, port=self.port
            )
        return CommandResult(tagged, tuple(pending.untagged))

    async def starttls(self, context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        """STARTTLS, then the handshake on the same socket; capabilities are forgotten (RFC 3501 6.2.1)."""
        await self.execute("STARTTLS")
        # _on_data paused reading right after the OK and failed the connection if any byte followed it.
        self._raise_if_unusable()
        assert self._transport is not None
        try:
            async with asyncio.timeout(self.timeout):
                transport = await self._loop.start_tls(
                    self._transport,
                    self._protocol,
                    context,
                    server_hostname=server_hostname or self.host,
                    ssl_handshake_timeout=self.timeout,
                )
        except OSError as exc:
            error = translate_os_error(exc, host=self.host, port=self.port, seconds=self.timeout)
            self._router.fail(error)
            self.abort()
            raise error from exc
        if transport is None:  # the loop returns None only if the connection went away meanwhile
            raise self._router.failure or NetworkError("net.closed", host=self.host, port=self.port)
        self._transport = transport
        self._encrypted = True
        self._router.capabilities = None

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

    # sending
    async def _send(
        self,
        pending: Pending,
        chunks: tuple[bytes, ...],
        trace: str,
        on_continuation: ContinuationHandler | None,
        redact: bool,
    ) -> None:
        last = len(chunks) - 1
        for index, chunk in enumerate(chunks):
            if index < last or on_continuation is not None:
                self._router.expect_continuation()
            self._write(chunk, trace if index == 0 else None)
            await self._drain(pending.name)
            if index < last and await self._next_continuation(pending) is None:
                return  # refused before the literal went out; the tagged NO/BAD says why
        if on_continuation is None:
            return
        self._redacting = redact
        try:
            while (request := await self._next_continuation(pending)) is not None:
                self._router.expect_continuation()
                answer = on_continuation(request)
                self._write(answer + b"\r\n", "<redacted>" if redact else answer.decode("ascii", "replace"))
                await self._drain(pending.name)
        finally:
            self._redacting = False

    async def _next_continuation(self, pending: Pending) -> ContinuationRequest | None:
        """The next ``+`` for ``pending``, or None if the command completed instead."""
        waiter = self._router.continuation
        assert waiter is not None
        try:
            await self._wait(waiter, pending.done, command=pending.name)
        finally:
            self._router.continuation = None
        return waiter.result() if waiter.done() else None

    def _write(self, data: bytes, trace: str | None) -> None:
        assert self._transport is not None
        self._transport.write(data)
        self._last_io = self._loop.time()
        if self._trace and trace is not None:
            trace_log.debug("imap %s:%s C: %s", self.host, self.port, trace)

    async def _drain(self, command: str) -> None:
        if self._write_ready is not None:
            await self._result(self._write_ready, command=command)

    def _literal_mode(self) -> LiteralMode:
        caps = self._router.capabilities or frozenset()
        return "plus" if "LITERAL+" in caps else "minus" if "LITERAL-" in caps else "sync"

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

    # receiving
    def _on_data(self, data: bytes) -> None:
        self._last_io = self._loop.time()
        try:
            for response in self._parser.feed(data):
                if self._trace:
                    self._trace_in(response)
                if isinstance(response, TaggedResponse) and self._is_starttls_ok(response):
                    self._stop_for_tls()
                    self._router.route(response)
                    break
                self._router.route(response)
        except StreamOverflow as exc:
            self._router.fail(IMAPError("imap.backlog", host=self.host, port=self.port, detail=str(exc)))
            self.abort()
        except MailwardenError as exc:
            self._router.fail(exc)
            self.abort()

    def _is_starttls_ok(self, response: TaggedResponse) -> bool:
        return response.status == "OK" and self._router.command_for(response.tag) == "STARTTLS"

    def _stop_for_tls(self) -> None:
        """Stop reading before the handshake; a byte already past the OK was injected in plaintext."""
        assert self._transport is not None
        self._transport.pause_reading()
        if not self._parser.idle:  # the CVE-2011-0411 family: commands or answers smuggled before TLS
            raise TLSFailure("imap.starttls_injection", host=self.host, port=self.port, permanent=True)

    def _trace_in(self, response: Response) -> None:
        if isinstance(response, ContinuationRequest):
            shown = "+ <redacted>" if self._redacting else f"+ {response.data[:120]!r}"
        else:
            code = f"[{response.code.name}] " if response.code else ""
            if isinstance(response, TaggedResponse):
                shown = f"{response.tag} {response.status} {code}{response.text[:200]}"
            elif response.is_status:
                shown = f"* {response.name} {code}{response.text[:200]}"
            else:
                number = f"{response.number} " if response.number is not None else ""
                shown = f"* {number}{response.name} <{len(response.data)} values>"
        trace_log.debug("imap %s:%s S: %s", self.host, self.port, shown)

    # failing
    def _raise_if_unusable(self) -> None:
        if self._router.failure is not None:
            raise self._router.failure
        if self._closing or self._lost.done() or self._transport is None:
            raise IMAPError("imap.closed", host=self.host, port=self.port, permanent=False)

    def _on_lost(self, exc: Exception | None) -> None:
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

    def _set_nodelay(self) -> None:
        # Nagle's algorithm stalls IMAP's small request/response round trips (pymap needed it, see LAB.md).
        sock = self._transport.get_extra_info("socket") if self._transport else None
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
