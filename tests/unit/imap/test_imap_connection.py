"""IMAPConnection against scripted loopback servers: timeouts, failures, pipelining, backpressure, TLS."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from imap_fake_server import FakeServer, Peer
from imap_tls import TLSFiles

from mailwarden.core.errors import NetworkError, TLSFailure
from mailwarden.core.tls import client_context
from mailwarden.imap import (
    FileLiteral,
    IMAPConnection,
    IMAPError,
    IMAPParseError,
    ParserLimits,
    Raw,
    ResponseStream,
    UntaggedResponse,
)

GREETING = "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready"


async def connect(server: FakeServer, **options: object) -> IMAPConnection:
    options = {"timeout": 5, **options}
    connection = await IMAPConnection.connect("127.0.0.1", server.port, **options)  # type: ignore[arg-type]
    await connection.greeting()
    return connection


async def test_silence_beyond_the_timeout_fails_the_command_and_the_connection() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.command()  # and never answer
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        connection.timeout = 0.3  # only now: a loaded machine may take longer than that to greet
        with pytest.raises(NetworkError) as caught:
            await connection.execute("NOOP")

    assert (caught.value.key, caught.value.params["command"]) == ("imap.timeout", "NOOP")
    assert not connection.usable
    with pytest.raises(NetworkError):
        await connection.execute("NOOP")


async def test_the_server_closing_mid_command_is_a_closed_connection() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.command()

    async with FakeServer(script) as server:
        connection = await connect(server)
        with pytest.raises(NetworkError) as caught:
            await connection.execute("NOOP")

    assert caught.value.key == "net.closed"


async def test_a_bye_before_the_close_is_the_reason_given() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.command()
        await peer.say("* BYE [UNAVAILABLE] Server shutting down.")

    async with FakeServer(script) as server:
        connection = await connect(server)
        with pytest.raises(IMAPError) as caught:
            await connection.execute("NOOP")

    assert (caught.value.status, caught.value.code, caught.value.text) == (
        "BYE",
        "UNAVAILABLE",
        "Server shutting down.",
    )


async def test_pipelined_commands_each_get_their_own_responses_whatever_the_order() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        first, second = await peer.command(), await peer.command()
        assert (first.name, second.name) == ("LIST", "STATUS")
        await peer.say(
            "* STATUS INBOX (MESSAGES 2)",
            f"{second.tag} OK status done",
            '* LIST () "/" INBOX',
            "* 7 EXISTS",
            f"{first.tag} OK list done",
        )
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        listed, status = await asyncio.gather(
            connection.execute("LIST", "", "*", wants=["LIST"]),
            connection.execute("STATUS", Raw(b"INBOX"), [Raw(b"MESSAGES")], wants=["STATUS"]),
        )
        await connection.close()

    assert [r.name for r in listed.untagged] == ["LIST"]
    assert [r.name for r in status.untagged] == ["STATUS"]
    assert connection.unsolicited.get_nowait() == UntaggedResponse("EXISTS", 7)


async def test_responses_nobody_asked_for_are_unsolicited() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        command = await peer.command()
        await peer.say("* 7 EXISTS", "* 1 FETCH (FLAGS (\\Seen))", f"{command.tag} OK done")
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        await connection.execute("NOOP")
        await connection.close()

    first, second = connection.unsolicited.get_nowait(), connection.unsolicited.get_nowait()
    assert first == UntaggedResponse("EXISTS", 7)
    assert second is not None
    assert (second.name, second.number) == ("FETCH", 1)


class CountingFlow:
    """Passes pause/resume on to the connection, counting the pauses."""

    def __init__(self, connection: IMAPConnection) -> None:
        self.connection = connection
        self.pauses = 0

    def pause_reading(self, owner: object) -> None:
        self.pauses += 1
        self.connection.pause_reading(owner)

    def resume_reading(self, owner: object) -> None:
        self.connection.resume_reading(owner)


async def test_a_slow_consumer_pauses_the_socket_and_loses_nothing() -> None:
    total = 3000

    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        command = await peer.command()
        lines = [f"* {n} FETCH (UID {n} FLAGS ())" for n in range(1, total + 1)]
        await peer.say(*lines, f"{command.tag} OK Fetch completed.")
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        flow = CountingFlow(connection)
        sink = ResponseStream(flow, high_water=50, low_water=10)

        async def consume() -> list[int]:
            uids = []
            async for response in sink:
                uids.append(response.number or 0)
                await asyncio.sleep(0)
            return uids

        consumer = asyncio.ensure_future(consume())
        await connection.execute("UID FETCH", Raw(b"1:*"), [Raw(b"FLAGS")], wants=["FETCH"], sink=sink)
        uids = await consumer
        await connection.close()

    assert uids == list(range(1, total + 1))
    assert flow.pauses >= 1


async def test_a_big_literal_arrives_as_a_spooled_file(tmp_path: Path) -> None:
    body = b"x" * 100_000

    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        command = await peer.command()
        await peer.say(
            b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % len(body) + body + b")", f"{command.tag} OK done"
        )
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        limits = ParserLimits(spill_threshold=1024, spool_dir=tmp_path)
        connection = await connect(server, limits=limits)
        result = await connection.execute("UID FETCH", Raw(b"1"), [Raw(b"BODY.PEEK[]")], wants=["FETCH"])
        await connection.close()

    literal = result.untagged[0].data[0][3]  # type: ignore[index]
    assert isinstance(literal, FileLiteral)
    assert literal.size == len(body)
    assert literal.path.parent == tmp_path


async def test_garbage_from_the_server_is_a_parse_error_for_whoever_waits() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.command()
        await peer.say("* 1 FETCH (UID 1")
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        with pytest.raises(IMAPParseError) as caught:
            await connection.execute("NOOP")

    assert (caught.value.host, caught.value.port) == ("127.0.0.1", server.port)
    assert not connection.usable


async def test_a_continuation_nobody_asked_for_is_a_protocol_violation() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.command()
        await peer.say("+ surprise")
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        with pytest.raises(IMAPError) as caught:
            await connection.execute("NOOP")

    assert caught.value.key == "imap.protocol"


async def test_a_command_after_close_says_the_connection_is_closed() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.closed_by_client()

    async with FakeServer(script) as server:
        connection = await connect(server)
        await connection.close()
        with pytest.raises(IMAPError) as caught:
            await connection.execute("NOOP")

    assert caught.value.key == "imap.closed"


async def test_implicit_tls_is_verified_against_the_given_ca(tls_files: TLSFiles) -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)
        await peer.closed_by_client()

    async with FakeServer(script, tls=tls_files.server_context) as server:
        connection = await connect(server, ssl_context=client_context(tls_files.ca_file))
        assert connection.encrypted
        await connection.close()


@pytest.mark.parametrize(
    ("host", "with_ca"),
    [("127.0.0.1", False), ("wrong.example.test", True)],
    ids=["unknown-ca", "wrong-name"],
)
async def test_a_certificate_that_does_not_verify_is_a_tls_failure(
    tls_files: TLSFiles, host: str, with_ca: bool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.say(GREETING)

    context = client_context(tls_files.ca_file if with_ca else None)
    async with FakeServer(script, tls=tls_files.server_context) as server:
        with pytest.raises(TLSFailure) as caught:
            await IMAPConnection.connect(
                "127.0.0.1", server.port, ssl_context=context, server_hostname=host, timeout=5
            )

    assert (caught.value.key, caught.value.permanent) == ("tls.verify", True)


async def test_a_closed_port_is_a_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(NetworkError) as caught:
        await IMAPConnection.connect("127.0.0.1", port, timeout=5)

    assert (caught.value.key, caught.value.host, caught.value.port) == ("net.refused", "127.0.0.1", port)


async def test_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    with pytest.raises(NetworkError) as caught:
        await IMAPConnection.connect("no-such-host.invalid", 993, timeout=5)

    assert caught.value.key == "net.dns"
