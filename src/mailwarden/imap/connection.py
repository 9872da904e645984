"""One IMAP connection: the socket, TLS, tags, and routing each response to whoever is waiting for it.

Shape, and why:

* **An asyncio Protocol, not a StreamReader loop** (:mod:`.protocol`, :mod:`.wire`). Bytes go from
  ``data_received`` straight into the parser and each finished response is dispatched at once. That gives
  exact control at the moments that need it: after the tagged OK to STARTTLS or COMPRESS (the next byte
  belongs to another layer), and under backpressure (``transport.pause_reading()`` when a consumer of a big
  FETCH falls behind). :class:`~.wire.Wire`, the base class, holds that byte side; this module the commands.
* **Pipelining.** :meth:`IMAPConnection.send` puts a command on the wire and returns an :class:`Issued`
  handle at once; :meth:`Issued.result` waits for its completion later. Several commands can be in flight:
  the router (:mod:`.dispatch`) gives each untagged response to the oldest command that ``wants`` it, or to
  :attr:`IMAPConnection.unsolicited`. :meth:`execute` is send-then-wait.
* **One sender at a time.** A send lock covers only the *sending* of a command, including the ``+`` round
  trips its synchronising literals or SASL exchange need, so a continuation request always belongs to the
  lock holder.
* **Inactivity timeouts.** Every wait is bounded by ``timeout`` seconds *without traffic*, not by a total: a
  30-minute FETCH of a big mailbox is fine as long as bytes keep coming, and time while a slow consumer has
  paused reading does not count. A timeout breaks the connection and raises ``NetworkError``
  (``imap.timeout``). IDLE waits on its own clock (:mod:`.idle`).
* **Credentials never reach a log.** The log shows tag and command name; the optional protocol trace shows
  arguments except for commands marked ``redact`` (LOGIN, AUTHENTICATE), hides SASL continuations both ways,
  and never shows literal contents.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from mailwarden.core.errors import NetworkError
from mailwarden.imap.commands import Argument, LiteralMode, Raw, TagGenerator, encode_command
from mailwarden.imap.compress import Deflate
from mailwarden.imap.dispatch import Pending
from mailwarden.imap.errors import IMAPError, translate_os_error
from mailwarden.imap.parser import ParserLimits
from mailwarden.imap.protocol import tune_socket
from mailwarden.imap.responses import ContinuationRequest, TaggedResponse, UntaggedResponse
from mailwarden.imap.streams import ResponseStream
from mailwarden.imap.wire import Wire

__all__ = ["CommandResult", "IMAPConnection", "Issued"]

log = logging.getLogger("mailwarden.imap")
trace_log = logging.getLogger("mailwarden.imap.trace")

T = TypeVar("T")
#: answers a ``+``; returning None leaves the command open without answering (IDLE waits for DONE)
ContinuationHandler = Callable[[ContinuationRequest], bytes | None]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The tagged completion of a command and the untagged responses routed to it."""

    tagged: TaggedResponse
    untagged: tuple[UntaggedResponse, ...]


class Issued:
    """A command on the wire; :meth:`result` waits for its completion."""

    def __init__(self, connection: IMAPConnection, pending: Pending) -> None:
        self._connection = connection
        self._pending = pending

    @property
    def tag(self) -> str:
        return self._pending.tag

    @property
    def name(self) -> str:
        return self._pending.name

    @property
    def done(self) -> bool:
        return self._pending.done.done()

    async def result(self, *, check: bool = True) -> CommandResult:
        """The completion; with ``check``, NO and BAD raise :class:`~.errors.IMAPError`."""
        connection, pending = self._connection, self._pending
        tagged = await connection._result(pending.done, command=pending.name)
        if check and tagged.status != "OK":
            raise IMAPError.from_status(
                tagged.status,
                code=tagged.code.name if tagged.code else None,
                text=tagged.text,
                command=pending.name,
                host=connection.host,
                port=connection.port,
            )
        return CommandResult(tagged, tuple(pending.untagged))


class IMAPConnection(Wire):
    """A connected socket speaking IMAP; :class:`~.client.IMAPClient` builds the commands on top."""

    def __init__(
        self, host: str, port: int, *, timeout: float, limits: ParserLimits | None, trace: bool
    ) -> None:
        super().__init__(host, port, timeout=timeout, limits=limits, trace=trace)
        self._tags = TagGenerator()
        self._send_lock = asyncio.Lock()

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
        tune_socket(connection._transport)
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
    def compressed(self) -> Deflate | None:
        """The COMPRESS=DEFLATE layer (with its byte counters) once active."""
        return self._deflate

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
        """Send one command and wait for its completion (see :meth:`send` for the options).

        With ``check``, NO and BAD raise :class:`~.errors.IMAPError`.
        """
        issued = await self.send(
            name, *args, wants=wants, sink=sink, on_continuation=on_continuation, redact=redact
        )
        return await issued.result(check=check)

    async def send(
        self,
        name: str,
        *args: Argument,
        wants: Iterable[str] = (),
        sink: ResponseStream | None = None,
        on_continuation: ContinuationHandler | None = None,
        redact: bool = False,
    ) -> Issued:
        """Put one command on the wire and return without waiting for its completion.

        ``wants`` names the untagged responses that belong to this command (collected in
        ``CommandResult.untagged``, or put into ``sink`` for streaming; the router closes ``sink`` at the
        completion). ``on_continuation`` answers each ``+`` after the arguments are sent (SASL); when it
        returns None, sending stops with the command still open (IDLE; see :meth:`continue_command`).
        ``redact`` keeps arguments and SASL lines out of the trace.
        """
        async with self._send_lock:
            return await self._send_locked(name, args, wants, sink, on_continuation, redact)

    async def continue_command(self, issued: Issued, line: bytes) -> None:
        """Send one more line for a command that is still open (``DONE`` ends IDLE)."""
        async with self._send_lock:
            self._raise_if_unusable()
            if issued.done:
                return  # the server ended it first (a BYE, a NO); nothing to continue
            self._write(line + b"\r\n", line.decode("ascii", "replace"))
            await self._drain(issued.name)

    async def receive(self, stream: ResponseStream, *, command: str) -> UntaggedResponse | None:
        """The next response from a command's ``sink``, under the inactivity timeout.

        None once the stream is closed and empty (the command completed); the stream's error if the
        connection failed.
        """
        while True:
            response = stream.get_nowait()
            if response is not None:
                return response
            if stream.closed:
                if stream.error is not None:
                    raise stream.error
                return None
            await self._wait(stream.readable(), command=command)

    async def starttls(self, context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        """STARTTLS, then the handshake on the same socket; capabilities are forgotten (RFC 3501 6.2.1)."""
        await self.execute("STARTTLS")
        # _feed paused reading right after the OK and failed the connection if any byte followed it.
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

    async def compress(self) -> None:
        """COMPRESS DEFLATE; from its OK on, both directions are raw deflate (RFC 4978).

        The send lock is held until the OK: a command sent in between would go out uncompressed while the
        server already expects deflate.
        """
        if self._deflate is not None:
            return
        async with self._send_lock:
            issued = await self._send_locked("COMPRESS", (Raw(b"DEFLATE"),), (), None, None, False)
            await issued.result()
        # _feed switched both directions as it routed the OK.
        log.debug("imap %s:%s compression on", self.host, self.port)

    # sending
    async def _send_locked(
        self,
        name: str,
        args: tuple[Argument, ...],
        wants: Iterable[str],
        sink: ResponseStream | None,
        on_continuation: ContinuationHandler | None,
        redact: bool,
    ) -> Issued:
        command = name.upper()
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
        return Issued(self, pending)

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
                answer = on_continuation(request)
                if answer is None:
                    return
                self._router.expect_continuation()
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

    def _literal_mode(self) -> LiteralMode:
        caps = self._router.capabilities or frozenset()
        return "plus" if "LITERAL+" in caps else "minus" if "LITERAL-" in caps else "sync"
