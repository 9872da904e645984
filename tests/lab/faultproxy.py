"""A fault-injecting TCP proxy for the lab: cuts, resets, stalls, refusals, latency and throttling.

It runs its own event loop in a thread, so sync tests and async tests (on any loop) can use it, and it
is byte-level: TLS goes through to the real server (verify ``127.0.0.1``, which the lab cert names).
Controls are thread-safe, apply to live and new connections, and have taken effect when they return.
Cut triggers fire once, on whichever connection gets there first; ``heal()`` undoes every fault.
"""

import asyncio
import contextlib
import fcntl
import inspect
import socket
import struct
import termios
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Self

from lab.ports import HOST, release_ports, reserve_ports

_CHUNK = 65536
_POLL = 0.005
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


def _setopt(writer: asyncio.StreamWriter, level: int, option: int, value: int | bytes) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(level, option, value)


def _unsent(writer: asyncio.StreamWriter) -> int:
    """Bytes in asyncio's buffer plus the kernel's send queue (unsent or not yet acknowledged)."""
    queued = writer.transport.get_write_buffer_size()
    try:
        raw = fcntl.ioctl(writer.get_extra_info("socket").fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError, AttributeError):
        return queued
    return queued + int(struct.unpack("i", raw)[0])


def _check(n: int) -> int:
    if n < 0:
        raise ValueError(f"{n} < 0")
    return n


@dataclass(eq=False)
class _Conn:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    pumps: list["asyncio.Task[None]"] = field(default_factory=list)
    tail: bytes = b""  # the server's last bytes, for a pattern split between two reads
    cut_in: int | None = None  # server→client bytes still to forward before this connection is cut
    cut_rst: bool = False
    closed: bool = False


class FaultProxy:
    """A TCP proxy from ``(host, port)`` (127.0.0.1, a free port chosen by ``start()``) to the target.

    Counters (read them from any thread): ``bytes_from_server`` / ``bytes_from_client`` (bytes
    forwarded each way), ``connections_accepted``, ``live_connections``, ``connections_cut`` (closed
    by a fault: a cut/reset trigger, ``drop_all()`` or ``refuse_new(how="reset")``).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.host, self.port = HOST, 0
        self.bytes_from_server = self.bytes_from_client = 0
        self.connections_accepted = self.connections_cut = 0
        self._conns: set[_Conn] = set()
        self._transports: weakref.WeakSet[asyncio.WriteTransport] = weakref.WeakSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()  # cleared by stall(); bound to the proxy's loop on first wait
        self._refuse: Literal["refuse", "reset"] | None = None
        self._budget: tuple[int, bool] | None = None  # cut_after/reset_after: (bytes left, rst)
        self._pattern: tuple[bytes, int, bool] | None = None  # cut_when_server_sends: (it, extra, rst)
        self._delay = 0.0
        self._rate: int | None = None
        self._clear_faults()

    @property
    def live_connections(self) -> int:
        return len(self._conns)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("a FaultProxy starts once")
        [self.port] = reserve_ports(1)
        self._loop = loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name=f"FaultProxy-{self.port}", daemon=True)
        self._thread.start()
        try:
            self._call(self._listen)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the listener and every connection, end the thread, release the port (idempotent)."""
        loop, thread, self._loop = self._loop, self._thread, None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
            release_ports([self.port])

    def __enter__(self) -> Self:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FaultProxy {self.host}:{self.port} -> {self.target_host}:{self.target_port}>"

    # --- controls ---------------------------------------------------------------------------------

    def cut_after(self, *, bytes_from_server: int) -> None:
        """Close the client side (FIN, no RST) once ``bytes_from_server`` more server→client bytes
        have been forwarded (counted over all connections; the one carrying the last byte is cut)."""
        self._set(_budget=(_check(bytes_from_server), False))

    def reset_after(self, *, bytes_from_server: int) -> None:
        """As :meth:`cut_after`, but with an RST (SO_LINGER 0): the client reads ECONNRESET. The
        bytes before it go out first, unless the client leaves them unread for 2 s."""
        self._set(_budget=(_check(bytes_from_server), True))

    def cut_when_server_sends(self, pattern: bytes, after_extra: int = 0, *, reset: bool = False) -> None:
        """Cut the connection whose server sends ``pattern``, ``after_extra`` bytes after its end
        (``b"{2000000}\\r\\n"`` with ``after_extra=1000`` lands inside that literal)."""
        if not pattern:
            raise ValueError("an empty pattern")
        self._set(_pattern=(pattern, _check(after_extra), reset))

    def stall(self) -> None:
        """Stop forwarding both ways (bytes are held, connections stay open) until resume()."""
        self._call(self._flowing.clear)

    def resume(self) -> None:
        self._call(self._flowing.set)

    def delay(self, seconds: float) -> None:
        """Hold every chunk ``seconds`` before forwarding it, both ways (0 turns it off)."""
        self._set(_delay=max(0.0, seconds))

    def throttle(self, bytes_per_second: int | None) -> None:
        """Forward at most ``bytes_per_second`` each way per connection (0 or None: no limit)."""
        self._set(_rate=_check(bytes_per_second or 0) or None)

    def refuse_new(self, refuse: bool = True, *, how: Literal["refuse", "reset"] = "refuse") -> None:
        """New connections fail: ``"refuse"`` stops listening (connect() gets ECONNREFUSED),
        ``"reset"`` accepts and RSTs them at once. Live connections carry on."""
        self._call(lambda: self._set_refuse(how if refuse else None))

    def drop_all(self, *, reset: bool = False) -> None:
        """Close every live connection now (FIN, or RST with ``reset=True``)."""

        def drop() -> None:
            for conn in list(self._conns):
                self._close(conn, rst=reset, fault=True)

        self._call(drop)

    def heal(self) -> None:
        """Undo every fault: triggers disarmed, flowing, no delay or throttle, accepting again."""

        async def heal() -> None:
            self._clear_faults()
            await self._set_refuse(None)

        self._call(heal)

    def wait_for_bytes_from_server(self, n: int, timeout: float = 10.0) -> int:
        """Block until ``bytes_from_server`` (a running total) reaches ``n``; return it, or raise
        TimeoutError. In a coroutine, await :meth:`wait_for_bytes_from_server_async` instead."""
        deadline = time.monotonic() + timeout
        while (seen := self.bytes_from_server) < n:
            self._check_deadline(n, deadline, timeout)
            time.sleep(_POLL)
        return seen

    async def wait_for_bytes_from_server_async(self, n: int, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while (seen := self.bytes_from_server) < n:
            self._check_deadline(n, deadline, timeout)
            await asyncio.sleep(_POLL)
        return seen

    def _check_deadline(self, n: int, deadline: float, timeout: float) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{self}: {self.bytes_from_server}/{n} bytes from the server in {timeout} s")

    # --- on the proxy's loop ----------------------------------------------------------------------

    def _call(self, action: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the FaultProxy is not running")

        async def run() -> None:
            result = action()
            if inspect.isawaitable(result):
                await result

        asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=30)

    def _set(self, **values: object) -> None:
        def apply() -> None:
            for name, value in values.items():
                setattr(self, name, value)
            for conn in self._conns if "_pattern" in values else ():
                conn.tail = b""  # a new pattern starts afresh

        self._call(apply)

    def _clear_faults(self) -> None:
        self._budget = self._pattern = self._rate = None
        self._delay = 0.0
        self._flowing.set()
        for conn in self._conns:
            conn.cut_in, conn.tail = None, b""

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def _set_refuse(self, how: Literal["refuse", "reset"] | None) -> None:
        self._refuse = how
        if how == "refuse" and self._server is not None:
            self._server.close()  # not wait_closed(): from 3.12 on it waits for the live connections
            self._server = None
        elif how != "refuse" and self._server is None:
            await self._listen()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for _ in range(5):  # let connections accepted just now reach _handle (and self._transports)
            await asyncio.sleep(0)
        while tasks := asyncio.all_tasks() - {asyncio.current_task()}:
            for transport in list(self._transports):
                transport.abort()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for transport in list(self._transports):
            transport.abort()
        await asyncio.sleep(0)  # connection_lost() closes the sockets

    async def _handle(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # by stop(); 3.11's asyncio logs a cancelled one
            await self._proxy(reader, client)

    async def _proxy(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self._transports.add(client.transport)
        _setopt(client, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(client)
        if self._refuse is not None:  # "refuse": accepted just before the listener closed
            self._close(conn, rst=True, fault=True)
            return
        self._conns.add(conn)
        try:
            upstream, server = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            self._close(conn, rst=True)  # the closest a proxy gets to the target's ECONNREFUSED
            return
        self._transports.add(server.transport)
        _setopt(server, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if conn.closed:  # dropped while connecting
            server.transport.abort()
            return
        conn.server = server
        conn.pumps = [
            asyncio.create_task(self._pump(conn, reader, server, from_server=False)),
            asyncio.create_task(self._pump(conn, upstream, client, from_server=True)),
        ]
        try:
            await asyncio.wait(conn.pumps)
        finally:
            self._close(conn)

    async def _pump(
        self, conn: _Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_server: bool
    ) -> None:
        try:
            while True:
                data = await reader.read(max(1, self._rate // 20) if self._rate else _CHUNK)
                if not data:  # half-close: pass the FIN on, the other direction carries on
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                if self._delay:
                    await asyncio.sleep(self._delay)
                await self._flowing.wait()
                if conn.closed:
                    return
                cut = self._cut_point(conn, data) if from_server else None
                data = data[:cut]
                if from_server:  # counted first: the peer may see the bytes before the next line runs
                    self.bytes_from_server += len(data)
                else:
                    self.bytes_from_client += len(data)
                writer.write(data)
                if cut is not None:
                    await self._cut(conn)
                    return
                await writer.drain()
                if self._rate:
                    await asyncio.sleep(len(data) / self._rate)
        except OSError:  # ConnectionResetError, BrokenPipeError, ...
            self._close(conn)

    def _cut_point(self, conn: _Conn, data: bytes) -> int | None:
        """How much of ``data`` (from the server) to forward before cutting, or None: no cut."""
        if conn.cut_in is None and self._pattern is not None:
            pattern, extra, rst = self._pattern
            seen = conn.tail + data
            if (found := seen.find(pattern)) >= 0:
                conn.cut_in, conn.cut_rst = found + len(pattern) - len(conn.tail) + extra, rst
                self._pattern = None
            else:
                conn.tail = seen[len(seen) - len(pattern) + 1 :]
        if conn.cut_in is None and self._budget is not None:
            left, rst = self._budget
            if len(data) >= left:
                conn.cut_in, conn.cut_rst, self._budget = left, rst, None
            else:
                self._budget = left - len(data), rst
        if conn.cut_in is not None:
            if conn.cut_in <= len(data):
                return conn.cut_in
            conn.cut_in -= len(data)
        return None

    async def _cut(self, conn: _Conn) -> None:
        if conn.cut_rst:  # an RST discards what the kernel has not sent yet: let that go first
            for _ in range(400):
                if conn.closed or _unsent(conn.client) == 0:
                    break
                await asyncio.sleep(0.005)
        self._close(conn, rst=conn.cut_rst, fault=True)

    def _close(self, conn: _Conn, *, rst: bool = False, fault: bool = False) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._conns.discard(conn)
        if fault:
            self.connections_cut += 1
        current = asyncio.current_task()
        for task in conn.pumps:
            if task is not current:
                task.cancel()
        if rst:
            _setopt(conn.client, socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
            conn.client.transport.abort()
        else:
            conn.client.close()  # FIN once the bytes already written are out
        if conn.server is not None:
            conn.server.close()


FaultProxyFactory = Callable[[int], FaultProxy]
