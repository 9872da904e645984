"""COMPRESS=DEFLATE against a loopback server that really deflates (the lab's Dovecot has no imap_zlib)."""

from __future__ import annotations

import zlib

import pytest
from imap_fake_server import FakeServer, Peer
from imap_scripts import body, fetch_line, greeting, open_client

from mailwarden.imap import IMAPError, UidSet
from mailwarden.imap.compress import Deflate


class DeflatingPeer:
    """The server's side after COMPRESS: raw deflate both ways, as RFC 4978 says."""

    def __init__(self, peer: Peer, already_read: bytes = b"") -> None:
        self.peer = peer
        self.out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.into = zlib.decompressobj(-15)
        self.buffer = self.into.decompress(already_read)

    def deflate(self, *lines: str | bytes) -> bytes:
        data = b"".join((line.encode() if isinstance(line, str) else line) + b"\r\n" for line in lines)
        return self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH)

    async def say(self, *lines: str | bytes) -> None:
        self.peer.writer.write(self.deflate(*lines))
        await self.peer.writer.drain()

    async def command(self) -> tuple[str, bytes]:
        while b"\r\n" not in self.buffer:
            self.buffer += self.into.decompress(await self.peer.reader.read(4096))
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        tag, _, rest = line.partition(b" ")
        return tag.decode(), rest


async def test_after_compress_both_directions_are_deflated_from_the_very_next_byte() -> None:
    """The OK and the first compressed bytes arrive in one write: the client must split them exactly there."""

    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 COMPRESS=DEFLATE LITERAL+"))
        command = await peer.command()
        assert (command.name, command.args) == ("COMPRESS", b"DEFLATE")
        zpeer = DeflatingPeer(peer)
        peer.writer.write(f"{command.tag} OK DEFLATE active\r\n".encode() + zpeer.deflate("* 6 EXISTS"))
        tag, rest = await zpeer.command()
        assert rest.startswith(b"EXAMINE"), rest
        await zpeer.say("* 6 EXISTS", "* OK [UIDVALIDITY 7] ok", f"{tag} OK [READ-ONLY] done")
        tag, rest = await zpeer.command()
        assert rest.startswith(b"UID FETCH 1:6")
        await zpeer.say(*(fetch_line(uid, uid, body(uid) * 100) for uid in range(1, 7)), f"{tag} OK done")
        tag, rest = await zpeer.command()
        assert rest == b"LOGOUT"
        await zpeer.say("* BYE bye", f"{tag} OK done")

    async with FakeServer(script) as server, await open_client(server) as client:
        assert await client.compress()
        await client.examine("INBOX")
        sizes = [r.size async for r in client.uid_fetch(UidSet.parse("1:6"))]
        layer = client.connection.compressed

    assert sizes == [len(body(uid) * 100) for uid in range(1, 7)]
    assert layer is not None and layer.plain_in > 10 * layer.bytes_in  # it really was compressed


async def test_without_the_capability_nothing_is_sent() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1"))
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_client(server) as client:
        assert not await client.compress()
        assert client.connection.compressed is None


async def test_a_corrupt_compressed_stream_fails_the_connection() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(greeting("IMAP4rev1 COMPRESS=DEFLATE"))
        command = await peer.command()
        await peer.say(f"{command.tag} OK DEFLATE active")
        await peer.reader.read(100)  # the compressed NOOP; answer with garbage
        peer.writer.write(b"\xff\xff\xff\xff not deflate")
        await peer.closed_by_client()

    async with FakeServer(script) as server, await open_client(server) as client:
        await client.compress()
        with pytest.raises(IMAPError) as caught:
            await client.noop()

    assert caught.value.key == "imap.compress"


def test_inflating_is_done_in_bounded_pieces() -> None:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = deflate.compress(b"\0" * 5_000_000) + deflate.flush(zlib.Z_SYNC_FLUSH)

    pieces = list(Deflate(piece=65536).inflate(bomb))

    assert len(bomb) < 10_000
    assert max(len(p) for p in pieces) <= 65536 and sum(len(p) for p in pieces) == 5_000_000
