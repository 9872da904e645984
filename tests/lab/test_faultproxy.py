"""The fault proxy (lab.faultproxy) against the real lab Dovecot, with the standard library's clients."""

import asyncio
import contextlib
import gc
import imaplib
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from lab import ports
from lab.dovecot import Dovecot, MailUser
from lab.faultproxy import FaultProxy, FaultProxyFactory


def tls(dovecot: Dovecot) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(dovecot.ca_file))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still false after {timeout} s"
        time.sleep(0.01)


def deliver_big(dovecot: Dovecot, user: MailUser, size: int = 1_000_000) -> None:
    head = f"From: big@example.test\r\nTo: {user.address}\r\nSubject: big\r\n\r\n".encode()
    dovecot.deliver(user.address, head + (b"x" * 98 + b"\r\n") * (size // 100))


def open_sockets() -> set[str]:
    """This process's open sockets, as ``socket:[inode]``."""
    links = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # e.g. the fd listdir() used
            links.add(os.readlink(f"/proc/self/fd/{fd}"))
    return {link for link in links if link.startswith("socket:")}


class Raw:
    """Plain IMAP on a bare socket, keeping every byte it received and counting what it sent."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.data, self.pos, self.sent = b"", 0, 0

    def recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        self.data += chunk
        return chunk

    def until(self, marker: bytes) -> bytes:
        while (end := self.data.find(marker, self.pos)) < 0:
            if not self.recv():
                raise EOFError(f"EOF before {marker!r}")
        start, self.pos = self.pos, end + len(marker)
        return self.data[start : self.pos]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def command(self, tag: str, text: str) -> bytes:
        self.send(f"{tag} {text}\r\n".encode())
        reply = self.until(f"{tag} OK".encode()) + self.until(b"\r\n")
        return reply

    def login(self, user: MailUser) -> None:
        self.until(b"\r\n")
        self.command("a", f'LOGIN "{user.address}" "{user.password}"')
        self.command("s", "SELECT INBOX")

    def to_eof(self) -> bytes:
        while self.recv():
            pass
        return self.data[self.pos :]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[Callable[[int], Raw]]:
    """Factory of Raw clients, closed after the test."""
    opened: list[Raw] = []

    def connect(port: int) -> Raw:
        opened.append(Raw(port))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


# --- pass-through and counters -------------------------------------------------------------------


def test_it_passes_imaps_and_starttls_through(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory
) -> None:
    imaps, imap = fault_proxy(dovecot.imaps_port), fault_proxy(dovecot.imap_port)
    with imaplib.IMAP4_SSL(imaps.host, imaps.port, ssl_context=tls(dovecot)) as client:  # SAN 127.0.0.1
        assert client.login(mail_user.address, mail_user.password)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
        assert imaps.live_connections == 1
    with imaplib.IMAP4(imap.host, imap.port) as client:
        client.starttls(ssl_context=tls(dovecot))
        assert client.login(mail_user.address, mail_user.password)[0] == "OK"
    wait_until(lambda: imaps.live_connections == imap.live_connections == 0)
    for proxy in (imaps, imap):
        assert proxy.connections_accepted == 1 and proxy.connections_cut == 0
        assert proxy.bytes_from_server > 1000 and proxy.bytes_from_client > 500  # TLS handshakes


def test_its_counters_match_what_the_client_sent_and_received(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    proxy = fault_proxy(dovecot.imap_port)
    client = raw(proxy.port)
    assert proxy.wait_for_bytes_from_server(1) >= 1  # the greeting, unread so far
    client.login(mail_user)
    client.command("z", "LOGOUT")
    client.to_eof()  # Dovecot closes; the proxy passes the FIN on ...
    assert proxy.live_connections == 1  # ... and keeps the other half open, as TCP does
    client.close()
    wait_until(lambda: proxy.live_connections == 0)
    assert (proxy.bytes_from_server, proxy.bytes_from_client) == (len(client.data), client.sent)
    assert (proxy.connections_accepted, proxy.connections_cut) == (1, 0)
    with pytest.raises(TimeoutError, match="bytes from the server"):
        proxy.wait_for_bytes_from_server(proxy.bytes_from_server + 1, timeout=0.05)


# --- cuts and resets -----------------------------------------------------------------------------


def test_a_cut_on_the_literal_header_lands_inside_the_literal(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    deliver_big(dovecot, mail_user)
    proxy = fault_proxy(dovecot.imap_port)
    client = raw(proxy.port)
    client.login(mail_user)
    size = int(re.findall(rb"RFC822.SIZE (\d+)", client.command("f", "FETCH 1 RFC822.SIZE"))[0])
    header = b"{%d}\r\n" % size
    proxy.cut_when_server_sends(header, after_extra=1000)
    client.send(b"b FETCH 1 BODY.PEEK[]\r\n")
    received = client.to_eof()  # EOF, not an error: a FIN
    assert received.index(header) + len(header) + 1000 == len(received)
    assert size > 1_000_000 and proxy.connections_cut == 1
    wait_until(lambda: proxy.live_connections == 0)


def test_cut_after_counts_server_bytes_through_tls(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory
) -> None:
    deliver_big(dovecot, mail_user)
    proxy = fault_proxy(dovecot.imaps_port)
    client = imaplib.IMAP4_SSL(proxy.host, proxy.port, ssl_context=tls(dovecot))
    try:  # not "with": IMAP4.__exit__ would LOGOUT on the dead connection and raise
        client.login(mail_user.address, mail_user.password)
        client.select("INBOX")
        before = proxy.bytes_from_server
        proxy.cut_after(bytes_from_server=300_000)
        with pytest.raises(imaplib.IMAP4.abort, match="EOF"):  # a FIN without TLS close_notify
            client.fetch("1", "(BODY.PEEK[])")
    finally:
        client.shutdown()
    assert proxy.bytes_from_server == before + 300_000
    assert proxy.connections_cut == 1


@pytest.mark.parametrize("trigger", ["reset_after", "cut_when_server_sends"])
def test_a_reset_gives_econnreset_after_exactly_the_bytes_before_it(
    dovecot: Dovecot,
    mail_user: MailUser,
    fault_proxy: FaultProxyFactory,
    raw: Callable[[int], Raw],
    trigger: str,
) -> None:
    deliver_big(dovecot, mail_user)
    proxy = fault_proxy(dovecot.imap_port)
    client = raw(proxy.port)
    client.login(mail_user)
    if trigger == "reset_after":
        proxy.reset_after(bytes_from_server=100_000)
    else:
        proxy.cut_when_server_sends(b"BODY[] {", after_extra=100_000, reset=True)
    client.send(b"b FETCH 1 BODY.PEEK[]\r\n")
    with pytest.raises(ConnectionResetError):
        client.to_eof()
    received = client.data[client.pos :]
    expected = 100_000 if trigger == "reset_after" else received.index(b"BODY[] {") + 8 + 100_000
    assert len(received) == expected
    assert proxy.connections_cut == 1


# --- stalls, refusals, drops ---------------------------------------------------------------------


def test_a_stall_holds_bytes_both_ways_until_resume(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    proxy = fault_proxy(dovecot.imap_port)
    live = raw(proxy.port)
    live.login(mail_user)
    proxy.stall()
    counts = proxy.bytes_from_server, proxy.bytes_from_client
    live.send(b"n NOOP\r\n")
    fresh = raw(proxy.port)  # connects (the proxy accepts), but hears no greeting
    for client in (live, fresh):
        client.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            client.recv()
        client.sock.settimeout(10)
    assert (proxy.bytes_from_server, proxy.bytes_from_client) == counts
    assert proxy.live_connections == 2
    proxy.resume()
    assert b"n OK" in live.until(b"n OK")
    assert fresh.until(b"\r\n").startswith(b"* OK")


def test_refuse_new_refuses_or_resets_new_connections_only(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    proxy = fault_proxy(dovecot.imap_port)
    live = raw(proxy.port)
    live.login(mail_user)
    proxy.refuse_new()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=10).close()
    live.command("n", "NOOP")
    proxy.refuse_new(how="reset")
    with pytest.raises(ConnectionResetError):  # accepted, then an RST: seen by connect() or by recv()
        raw(proxy.port).to_eof()
    proxy.refuse_new(False)
    assert raw(proxy.port).until(b"\r\n").startswith(b"* OK")
    assert (proxy.connections_accepted, proxy.connections_cut, proxy.live_connections) == (3, 1, 2)


def test_drop_all_closes_every_live_connection(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    proxy = fault_proxy(dovecot.imap_port)
    clients = [imaplib.IMAP4(proxy.host, proxy.port) for _ in range(2)]
    for client in clients:
        client.login(mail_user.address, mail_user.password)
    proxy.drop_all()
    for client in clients:
        with pytest.raises(imaplib.IMAP4.abort):
            client.noop()
        client.shutdown()
    assert (proxy.live_connections, proxy.connections_cut) == (0, 2)
    rst = raw(proxy.port)
    rst.until(b"\r\n")
    proxy.drop_all(reset=True)
    with pytest.raises(ConnectionResetError):
        rst.to_eof()
    assert proxy.connections_cut == 3


def test_delay_and_throttle_slow_it_down_and_heal_undoes_everything(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory, raw: Callable[[int], Raw]
) -> None:
    deliver_big(dovecot, mail_user, 200_000)
    proxy = fault_proxy(dovecot.imap_port)
    client = raw(proxy.port)
    client.login(mail_user)
    proxy.delay(0.2)
    started = time.monotonic()
    client.command("n", "NOOP")
    assert time.monotonic() - started >= 0.39  # 0.2 s on the way there, 0.2 s on the way back
    proxy.delay(0)
    proxy.throttle(200_000)
    started = time.monotonic()
    client.command("p", "FETCH 1 BODY.PEEK[]<0.100000>")
    assert time.monotonic() - started >= 0.4  # 100 kB at 200 kB/s, less the last 10 kB slice
    for fault in (proxy.stall, lambda: proxy.cut_after(bytes_from_server=0), proxy.refuse_new):
        fault()
    proxy.cut_when_server_sends(b"BODY[]")
    proxy.heal()
    other = raw(proxy.port)
    other.login(mail_user)
    assert b"BODY[] {" in other.command("f", "FETCH 1 BODY.PEEK[]")
    client.command("n", "NOOP")
    assert proxy.connections_cut == 0


# --- async tests, life cycle ---------------------------------------------------------------------


async def test_it_serves_an_async_test_and_imitates_a_restart_during_idle(
    dovecot: Dovecot, mail_user: MailUser, fault_proxy: FaultProxyFactory
) -> None:
    proxy = fault_proxy(dovecot.imap_port)
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    try:
        greeting = await reader.readline()
        assert await proxy.wait_for_bytes_from_server_async(len(greeting)) == len(greeting)
        writer.write(f'a LOGIN "{mail_user.address}" "{mail_user.password}"\r\ns SELECT INBOX\r\n'.encode())
        await reader.readuntil(b"s OK")
        writer.write(b"i IDLE\r\n")
        await reader.readuntil(b"+ idling\r\n")
        await asyncio.to_thread(deliver_big, dovecot, mail_user, 1000)
        await reader.readuntil(b"* 1 EXISTS\r\n")  # IDLE pushes go through
        proxy.refuse_new()  # the server goes down ...
        proxy.drop_all()
        await reader.read()  # what was on its way, then EOF
        assert reader.at_eof()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(proxy.host, proxy.port)
    finally:
        writer.close()
        await writer.wait_closed()
    proxy.heal()  # ... and comes back
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    assert (await reader.readline()).startswith(b"* OK")
    writer.close()
    await writer.wait_closed()


def test_it_stops_cleanly_with_live_connections_and_releases_its_port(
    dovecot: Dovecot, mail_user: MailUser, raw: Callable[[int], Raw]
) -> None:
    threads, sockets = set(threading.enumerate()), open_sockets()
    with FaultProxy(dovecot.host, dovecot.imap_port) as proxy:
        port = proxy.port
        assert port in ports._held
        live, held = raw(port), raw(port)
        live.login(mail_user)
        proxy.stall()
        held.send(b"a NOOP\r\n")  # held in the proxy at stop()
    assert set(threading.enumerate()) == threads
    assert port not in ports._held
    for client in (live, held):  # both closed by the proxy: EOF (or an RST), not a timeout
        with contextlib.suppress(ConnectionResetError):
            client.to_eof()
        client.close()
    assert open_sockets() == sockets  # listener, connections, the loop's self-pipe: all closed
    proxy.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        proxy.stall()
    gc.collect()  # a leaked transport or socket would be a ResourceWarning, an error here
