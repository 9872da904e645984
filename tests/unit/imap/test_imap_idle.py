"""IDLE against scripted servers: events, renewal, DONE, and every way it can end badly without hanging."""

from __future__ import annotations

import asyncio

import pytest
from imap_fake_server import FakeServer, Peer
from imap_scripts import greeting, open_client, serve_examine

from mailwarden.core.errors import InputError, NetworkError
from mailwarden.imap import Exists, Expunge, FlagUpdate, IMAPClient, IMAPError


async def start_idle(peer: Peer) -> str:
    command = await peer.command()
    assert command.name == "IDLE", command
    await peer.say("+ idling")
    return command.tag


async def end_idle(peer: Peer, tag: str, *between: str) -> None:
    assert await peer.line() == b"DONE"
    await peer.say(*between, f"{tag} OK Idle completed.")


async def test_it_yields_what_the_server_reports_and_ends_with_done() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        tag = await start_idle(peer)
        await peer.say("* OK Still here", "* 7 EXISTS", "* 3 EXPUNGE", "* 2 FETCH (UID 9 FLAGS (\\Seen))")
        await end_idle(peer, tag, "* 8 EXISTS")  # news between DONE and OK is not lost
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        async with client.idle() as idle:
            events = [await idle.next(timeout=5) for _ in range(3)]
        late = client.take_events()

    assert events == [Exists(7), Expunge(3), FlagUpdate(2, 9, frozenset({"\\Seen"}))]
    assert late == [Exists(8)]


async def test_it_returns_none_when_nothing_happens_within_the_timeout() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        await end_idle(peer, await start_idle(peer))
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        async with client.idle() as idle:
            assert await idle.next(timeout=0.05) is None


async def test_it_renews_idle_on_its_own_clock_not_the_inactivity_timeout() -> None:
    """The connection's timeout is 5 s; renewal every 0.2 s; the caller sees one stream of events."""

    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        for round_number in range(3):
            tag = await start_idle(peer)
            if round_number == 2:
                await peer.say("* 12 EXISTS")
            await end_idle(peer, tag)
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        async with client.idle(renew_after=0.2) as idle:
            event = await idle.next(timeout=5)
            rounds = idle.rounds

    assert event == Exists(12)
    assert rounds == 3


async def idle_until_it_ends(client: IMAPClient) -> None:
    async with client.idle() as idle:
        async for _ in idle:
            pass


async def test_a_bye_during_idle_is_an_error_not_a_hang() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        await start_idle(peer)
        await peer.say("* BYE Server shutting down.")

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        with pytest.raises(IMAPError) as caught:
            await idle_until_it_ends(client)

    assert (caught.value.status, caught.value.text, caught.value.permanent) == (
        "BYE",
        "Server shutting down.",
        False,
    )


async def test_a_dropped_connection_during_idle_is_a_network_error() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        await start_idle(peer)
        peer.writer.transport.abort()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        with pytest.raises(NetworkError):
            async with client.idle() as idle:
                await idle.next(timeout=5)


async def test_a_server_that_never_answers_done_times_out() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        await start_idle(peer)
        assert await peer.line() == b"DONE"
        await peer.closed_by_client()  # and no OK

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        client.connection.timeout = 0.3
        with pytest.raises(NetworkError) as caught:
            async with client.idle():
                await asyncio.sleep(0.4)  # longer than the timeout: idling itself is not inactivity

    assert (caught.value.key, caught.value.params["command"]) == ("imap.timeout", "IDLE")


async def test_a_refused_idle_is_an_error_and_nothing_else_is_blocked() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        command = await peer.command()
        await peer.say(f"{command.tag} NO [LIMIT] Too many idlers")
        command = await peer.command()
        await peer.say(f"{command.tag} OK fine")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        with pytest.raises(IMAPError) as caught:
            async with client.idle():
                pass
        await client.noop()

    assert caught.value.code == "LIMIT"


async def test_idle_needs_an_open_folder_and_the_capability() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1"))
        await serve_examine(peer)
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        with pytest.raises(InputError) as not_open:
            async with client.idle():
                pass
        await client.examine("INBOX")
        with pytest.raises(IMAPError) as unsupported:
            async with client.idle():
                pass

    assert not_open.value.key == "imap.not_selected"
    assert (unsupported.value.key, unsupported.value.permanent) == ("imap.unsupported", True)
