"""A scripted IMAP server on loopback: real sockets and real TLS, with the server's side written per test.

A script is an ``async def script(peer: Peer)`` that says lines and reads commands, as a server would. Failed
assertions inside it are raised again when the ``async with FakeServer(...)`` block ends, so a test fails
where the server saw something wrong, not only where the client did.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

STEP = 10.0  # generous bound on each read, so a broken test fails instead of hanging


@dataclass(frozen=True)
class Command:
    tag: str
    name: str
    args: bytes  # the rest of the line, raw


class Peer:
    """The server's end of one connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received = bytearray()

    async def say(self, *lines: str | bytes) -> None:
        """Send each line with CRLF, in one write."""
        data = b"".join((line.encode() if isinstance(line, str) else line) + b"\r\n" for line in lines)
        self.writer.write(data)
        await self.writer.drain()

    async def line(self) -> bytes:
        async with asyncio.timeout(STEP):
            data = await self.reader.readuntil(b"\r\n")
        self.received += data
        return data[:-2]

    async def command(self) -> Command:
        tag, _, rest = (await self.line()).partition(b" ")
        name, _, args = rest.partition(b" ")
        if name.upper() in (b"UID", b"AUTHENTICATE") and args:
            word, _, args = args.partition(b" ")
            name = name + b" " + word
        return Command(tag.decode(), name.decode().upper(), args)

    async def exactly(self, size: int) -> bytes:
        async with asyncio.timeout(STEP):
            data = await self.reader.readexactly(size)
        self.received += data
        return data

    async def silent_for(self, seconds: float) -> bool:
        """True if the client sends nothing for ``seconds`` (used to show it waits for a continuation)."""
        try:
            async with asyncio.timeout(seconds):
                data = await self.reader.read(1)
        except TimeoutError:
            return True
        self.received += data
        return False

    async def start_tls(self, context: ssl.SSLContext) -> None:
        async with asyncio.timeout(STEP):
            await self.writer.start_tls(context)

    async def closed_by_client(self) -> bool:
        """Read to the end; True when the client closed the connection."""
        async with asyncio.timeout(STEP):
            rest = await self.reader.read()
        self.received += rest
        return self.reader.at_eof()

    async def serve_logout(self) -> None:
        """Answer the LOGOUT that ``async with IMAPClient`` sends on a clean exit."""
        command = await self.command()
        assert command.name == "LOGOUT", command
        await self.say("* BYE Logging out", f"{command.tag} OK Logout completed.")


Script = Callable[[Peer], Awaitable[None]]


class FakeServer:
    def __init__(self, script: Script, *, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.port = 0
        self.peer: Peer | None = None
        self._failure: BaseException | None = None
        self._finished = asyncio.Event()

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.peer = Peer(reader, writer)
        try:
            await self.script(self.peer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client hung up: the client-side assertions say whether that was right
        except (AssertionError, TimeoutError) as exc:  # the script's verdict: re-raised by __aexit__
            self._failure = exc
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
                async with asyncio.timeout(2):
                    await writer.wait_closed()
            self._finished.set()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.close()
        if self.peer is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STEP):
                    await self._finished.wait()
        await self._server.wait_closed()
        if self._failure is not None and exc is None:
            raise self._failure
