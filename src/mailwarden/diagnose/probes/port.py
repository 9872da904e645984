"""One endpoint, end to end below the login: TCP, the greeting, and TLS in the mode the client uses -- and
when that mode is wrong, which one the port really speaks.

Implicit TLS: connect, handshake at once. If the handshake fails because the server spoke first in
plaintext, the port is a STARTTLS/plaintext port (``plaintext_port``). STARTTLS (and none): connect, read
the greeting; a server that stays silent is waiting for a TLS handshake (``tls_port``). STARTTLS is done by
hand here (one command per protocol), so the certificate of a STARTTLS port is inspected like any other.
"""

from __future__ import annotations

import asyncio
import ssl
import time

from mailwarden.diagnose.evidence import Endpoint, PortResult
from mailwarden.diagnose.probes import tls
from mailwarden.diagnose.probes.tcp import Connected, classify, open_tcp

__all__ = ["Timeouts", "probe_port"]

_GREETINGS = (b"* OK", b"* PREAUTH", b"* BYE", b"220", b"421", b"554", b"+OK", b"-ERR")
#: the STARTTLS dialogue of each protocol: what to send, and how the "go ahead" line starts
_STARTTLS = {
    "imap": ([b"mw1 STARTTLS\r\n"], b"mw1 OK"),
    "smtp": ([b"EHLO mailwarden.invalid\r\n", b"STARTTLS\r\n"], b"220"),
    "pop3": ([b"STLS\r\n"], b"+OK"),
}


class Timeouts:
    def __init__(self, connect: float, reply: float) -> None:
        self.connect = connect
        self.reply = reply
        #: how long a silent server may take before we decide it waits for a TLS handshake
        self.greeting = min(2.0, reply)


def _line(raw: bytes) -> str:
    return raw.rstrip(b"\r\n").decode("utf-8", "replace")


async def probe_port(endpoint: Endpoint, verifying: ssl.SSLContext, timeouts: Timeouts) -> PortResult:
    result = PortResult(endpoint)
    started = time.monotonic()
    try:
        if endpoint.tls == "implicit":
            await _implicit(result, verifying, timeouts)
        else:
            await _plain_first(result, verifying, timeouts)
    finally:
        result.elapsed_ms = round((time.monotonic() - started) * 1000)
    return result


async def _connect(result: PortResult, timeouts: Timeouts) -> Connected | None:
    e = result.endpoint
    try:
        connection = await open_tcp(e.host, e.port, timeouts.connect)
    except (OSError, TimeoutError) as exc:
        result.tcp, result.tcp_detail = classify(exc)
        return None
    result.tcp = "open"
    result.address = connection.address
    return connection


async def _read_line(connection: Connected, wait: float) -> bytes | None:
    """One line, or None when the server says nothing within ``wait``. Errors pass to the caller."""
    try:
        async with asyncio.timeout(wait):
            return await connection.reader.readline()
    except TimeoutError:
        return None


async def _handshake(
    result: PortResult, connection: Connected, verifying: ssl.SSLContext, timeouts: Timeouts
) -> bool:
    """Verified handshake; on a certificate failure, the certificate is fetched unverified to show why."""
    e = result.endpoint
    try:
        await tls.start_tls(connection, verifying, e.host, timeouts.reply)
    except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
        result.tls, result.tls_detail = tls.outcome_of(exc)
        if isinstance(exc, ssl.SSLCertVerificationError):
            await _look_unverified(result, timeouts)
        return False
    result.tls = "ok"
    result.cert, result.tls_version = tls.cert_info(connection)
    return True


async def _look_unverified(result: PortResult, timeouts: Timeouts) -> None:
    connection = await _connect(result, timeouts)
    if connection is None:
        return
    try:
        if result.endpoint.tls != "implicit" and not await _starttls_dialogue(result, connection, timeouts):
            return
        await tls.start_tls(connection, tls.unverified_context(), result.endpoint.host, timeouts.reply)
        result.cert, result.tls_version = tls.cert_info(connection)
    except (OSError, TimeoutError):
        pass  # the verified attempt already named the failure; this one only adds detail
    finally:
        await connection.close()


async def _implicit(result: PortResult, verifying: ssl.SSLContext, timeouts: Timeouts) -> None:
    connection = await _connect(result, timeouts)
    if connection is None:
        return
    try:
        if await _handshake(result, connection, verifying, timeouts):
            greeting = await _read_line(connection, timeouts.reply)
            result.greeting = _line(greeting) if greeting else None
            return
    except (OSError, TimeoutError) as exc:
        result.tls, result.tls_detail = tls.outcome_of(exc)
    finally:
        await connection.close()
    if result.tls == "handshake_failed":
        await _is_it_plaintext(result, timeouts)


async def _is_it_plaintext(result: PortResult, timeouts: Timeouts) -> None:
    """After a failed handshake: does the port greet in plaintext?"""
    connection = await _connect(result, timeouts)
    if connection is None:
        return
    try:
        greeting = await _read_line(connection, timeouts.greeting)
    except OSError:
        greeting = None
    finally:
        await connection.close()
    if greeting and greeting.startswith(_GREETINGS):
        result.tls = "plaintext_port"
        result.greeting = _line(greeting)


async def _plain_first(result: PortResult, verifying: ssl.SSLContext, timeouts: Timeouts) -> None:
    connection = await _connect(result, timeouts)
    if connection is None:
        return
    silent = False
    try:
        greeting = await _read_line(connection, timeouts.greeting)
        if greeting is None:
            silent = True
        elif not greeting:
            result.tcp, result.tcp_detail = "reset", "closed by the server before a greeting"
        else:
            result.greeting = _line(greeting)
            if result.endpoint.tls == "starttls" and await _starttls_dialogue(
                result, connection, timeouts, greeted=True
            ):
                await _handshake(result, connection, verifying, timeouts)
    except (OSError, TimeoutError) as exc:
        if result.tls == "not_tried":
            result.tcp, result.tcp_detail = classify(exc)
    finally:
        await connection.close()
    if silent:
        await _is_it_tls(result, timeouts)


async def _is_it_tls(result: PortResult, timeouts: Timeouts) -> None:
    """A silent port: does it complete a TLS handshake (an implicit-TLS port)?"""
    connection = await _connect(result, timeouts)
    if connection is None:
        return
    try:
        await tls.start_tls(connection, tls.unverified_context(), result.endpoint.host, timeouts.reply)
        result.tls = "tls_port"
        result.cert, result.tls_version = tls.cert_info(connection)
        greeting = await _read_line(connection, timeouts.greeting)
        result.greeting = _line(greeting) if greeting else None
    except (OSError, TimeoutError) as exc:
        result.tls = "handshake_failed"
        result.tls_detail = "the server sent no greeting and no TLS handshake: " + tls.outcome_of(exc)[1]
    finally:
        await connection.close()


async def _starttls_dialogue(
    result: PortResult, connection: Connected, timeouts: Timeouts, *, greeted: bool = False
) -> bool:
    """Ask for STARTTLS; True when the server said go ahead."""
    protocol = result.endpoint.protocol
    commands, go = _STARTTLS[protocol]
    if not greeted:
        greeting = await _read_line(connection, timeouts.reply)
        if not greeting:
            return False
    answer = b""
    for command in commands:
        connection.writer.write(command)
        await connection.writer.drain()
        answer = await _reply(connection, protocol, timeouts.reply)
    if answer.startswith(go):
        return True
    result.tls = "no_starttls"
    result.tls_detail = _line(answer)
    return False


async def _reply(connection: Connected, protocol: str, wait: float) -> bytes:
    """The last line of a reply (SMTP multi-line replies end with ``NNN ``; IMAP skips untagged lines)."""
    async with asyncio.timeout(wait):
        while True:
            line = await connection.reader.readline()
            if not line:
                return b""
            if protocol == "smtp" and line[3:4] == b"-":
                continue
            if protocol == "imap" and line.startswith(b"* "):
                continue
            return line
