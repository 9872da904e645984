"""Pipelined UID FETCH against scripted servers: order, interleaving, early exit, failures, PEEK only."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from imap_fake_server import FakeServer, Peer
from imap_scripts import body, fetch_line, greeting, open_client, serve_examine

from mailwarden.core.errors import InputError
from mailwarden.imap import (
    Exists,
    Expunge,
    FetchResult,
    FlagUpdate,
    IMAPClient,
    IMAPError,
    ParserLimits,
    UidSet,
)


async def collect(results: object) -> list[FetchResult]:
    out = []
    async for result in results:  # type: ignore[attr-defined]
        out.append(result)
    return out


async def test_chunks_are_pipelined_and_results_come_in_uid_order_whatever_the_server_interleaves() -> None:
    """GIVEN a server that reads both UID FETCH commands before answering any, sends items in odd orders,
    and mixes in EXISTS, EXPUNGE and flag changes by another client
    WHEN the client fetches 1:6 in chunks of 3, two in flight
    THEN every message arrives once, complete, in UID order, and the rest are events."""

    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        first, second = await peer.command(), await peer.command()  # both before any answer: pipelined
        assert (first.name, second.name) == ("UID FETCH", "UID FETCH")
        assert first.args.startswith(b"1:3 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[] MODSEQ)")
        assert second.args.startswith(b"4:6 ")
        await peer.say(
            fetch_line(1, 1, body(1), first="BODY[]"),
            b"* 9 EXISTS",
            b"* 2 FETCH (FLAGS (\\Seen))",  # another client; no UID
            fetch_line(2, 2, body(2), first="FLAGS"),
            b"* 3 EXPUNGE",  # UID 3 went away before the server got to it
            f"{first.tag} OK Fetch completed.".encode(),
            fetch_line(5, 6, body(6), first="INTERNALDATE"),  # out of order within the chunk
            fetch_line(3, 4, body(4)),
            b"* 4 FETCH (UID 5 FLAGS (\\Draft))",  # flags before content: merged, then replaced
            fetch_line(4, 5, body(5), first="MODSEQ", flags="\\Flagged"),
            f"{second.tag} OK Fetch completed.".encode(),
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        results = await collect(client.uid_fetch(UidSet.parse("1:6"), depth=2, chunk_size=3))
        events = client.take_events()

    assert [r.uid for r in results] == [1, 2, 4, 5, 6]
    assert all(r.body is not None and r.body.read_bytes() == body(r.uid) for r in results)
    assert all(r.size == len(body(r.uid)) and r.modseq == 100 + r.uid for r in results)
    assert results[3].flags == {"\\Flagged"}
    assert events == [Exists(9), FlagUpdate(2, None, frozenset({"\\Seen"})), Expunge(3)]


async def test_answers_to_a_later_command_that_arrive_early_still_reach_their_place() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        first, second = await peer.command(), await peer.command()
        await peer.say(
            fetch_line(4, 4, body(4)),  # the second command's message, before the first one completed
            fetch_line(1, 1, body(1)),
            fetch_line(2, 2, body(2)),
            f"{first.tag} OK done".encode(),
            fetch_line(3, 3, body(3)),
            f"{second.tag} OK done".encode(),
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        results = await collect(client.uid_fetch(UidSet.parse("1:2,3:4"), depth=2, chunk_size=2))

    assert [r.uid for r in results] == [1, 2, 3, 4]


@pytest.mark.parametrize("hole", [False, True], ids=["in-order", "with-a-hole"])
async def test_stopping_early_reads_off_what_is_in_flight_and_keeps_the_connection(
    tmp_path: Path, hole: bool
) -> None:
    """With a hole (the first UID of each chunk is gone), a chunk's messages wait for its completion, so the
    consumer stops in the middle of a completed chunk's tail; nothing may be left on disk either way."""

    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        tags = [(await peer.command()).tag for _ in range(3)]
        for index, tag in enumerate(tags):
            uids = range(index * 3 + (2 if hole else 1), index * 3 + 4)
            lines = [fetch_line(uid, uid, body(uid) * 40) for uid in uids]
            await peer.say(*lines, f"{tag} OK done".encode())
        command = await peer.command()
        assert command.name == "NOOP"
        await peer.say(f"{command.tag} OK still fine")
        await peer.serve_logout()

    limits = ParserLimits(spill_threshold=1024, spool_dir=tmp_path)
    async with FakeServer(script) as server, await open_client(server, limits) as client:
        await client.examine("INBOX")
        async with contextlib.aclosing(
            client.uid_fetch(UidSet.parse("1:9"), depth=3, chunk_size=3)
        ) as results:
            async for result in results:
                assert result.body is not None and result.body.path is not None  # spooled
                assert result.uid == (2 if hole else 1)
                result.discard()
                break
        await client.noop()

    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 -- the unread messages' spool files are gone too


async def test_a_refused_chunk_is_an_error_after_the_messages_before_it() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        first, second = await peer.command(), await peer.command()
        await peer.say(fetch_line(1, 1, body(1)), f"{first.tag} OK done", f"{second.tag} NO [SERVERBUG] oops")
        command = await peer.command()
        await peer.say(f"{command.tag} OK fine")
        await peer.serve_logout()

    got: list[int] = []

    async def consume(client: IMAPClient) -> None:
        async for result in client.uid_fetch(UidSet.parse("1:2"), depth=2, chunk_size=1):
            got.append(result.uid)

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        with pytest.raises(IMAPError) as caught:
            await consume(client)
        await client.noop()

    assert got == [1]
    assert (caught.value.code, caught.value.permanent) == ("SERVERBUG", False)


@pytest.mark.parametrize("item", ["BODY[]", "body[header]", "RFC822", "RFC822.TEXT", "BINARY[1]"])
async def test_items_that_would_mark_mail_as_read_are_refused_before_anything_is_sent(item: str) -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        await peer.serve_logout()  # the next command must be LOGOUT: no FETCH went out

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        with pytest.raises(InputError) as caught:
            await collect(client.uid_fetch(UidSet.of([1]), ["UID", item]))

    assert caught.value.key == "imap.fetch_sets_seen"


async def test_other_commands_wait_until_the_fetch_is_finished() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        command = await peer.command()
        await peer.say(fetch_line(1, 1, body(1)), f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        async for _ in client.uid_fetch(UidSet.of([1])):
            with pytest.raises(InputError) as caught:
                await client.status("Sent")

    assert (caught.value.key, caught.value.params["activity"]) == ("imap.busy", "UID FETCH")


async def test_an_open_set_is_resolved_with_one_search_first() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        search = await peer.command()
        assert (search.name, search.args) == ("UID SEARCH", b"RETURN (ALL) UID 5:*")
        await peer.say(f'* ESEARCH (TAG "{search.tag}") UID ALL 5,9', f"{search.tag} OK done")
        fetch = await peer.command()
        assert fetch.args.startswith(b"5,9 ")
        await peer.say(fetch_line(1, 5, body(5)), fetch_line(2, 9, body(9)), f"{fetch.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        results = await collect(client.uid_fetch(UidSet.parse("5:*")))

    assert [r.uid for r in results] == [5, 9]


async def test_a_chunk_whose_messages_were_expunged_meanwhile_is_not_an_error() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting())
        await serve_examine(peer)
        first, second = await peer.command(), await peer.command()
        await peer.say(
            fetch_line(1, 1, body(1)),
            f"{first.tag} NO [EXPUNGEISSUED] Some messages were expunged",
            fetch_line(2, 3, body(3)),
            f"{second.tag} OK done",
        )
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.examine("INBOX")
        results = await collect(client.uid_fetch(UidSet.parse("1:4"), depth=2, chunk_size=2))

    assert [r.uid for r in results] == [1, 3]
