"""Shared pieces for scripted-server tests of mailbox commands: a logged-in client, EXAMINE, FETCH lines."""

from __future__ import annotations

from imap_fake_server import FakeServer, Peer

from mailwarden.imap import IMAPClient, ParserLimits

CAPS = "IMAP4rev1 LITERAL+ CONDSTORE ESEARCH IDLE ENABLE QRESYNC"


def greeting(caps: str = CAPS) -> str:
    """PREAUTH: the session starts logged in, so a test script begins with the commands it is about."""
    return f"* PREAUTH [CAPABILITY {caps}] ready"


async def open_client(server: FakeServer, limits: ParserLimits | None = None) -> IMAPClient:
    return await IMAPClient.open(
        "127.0.0.1", server.port, tls="none", allow_plaintext=True, timeout=5, limits=limits
    )


async def serve_examine(peer: Peer, exists: int = 6) -> None:
    command = await peer.command()
    assert command.name == "EXAMINE", command
    await peer.say(
        f"* {exists} EXISTS",
        "* OK [UIDVALIDITY 7] UIDs valid",
        f"* OK [UIDNEXT {exists + 1}] next",
        f"{command.tag} OK [READ-ONLY] done",
    )


def fetch_line(seq: int, uid: int, body: bytes, *, first: str = "UID", flags: str = "") -> bytes:
    """A FETCH response with the default items, ``first`` in front and the rest in an unusual order."""
    items = {
        "UID": b"UID %d" % uid,
        "BODY[]": b"BODY[] {%d}\r\n" % len(body) + body,
        "FLAGS": b"FLAGS (%s)" % flags.encode(),
        "MODSEQ": b"MODSEQ (%d)" % (100 + uid),
        "RFC822.SIZE": b"RFC822.SIZE %d" % len(body),
        "INTERNALDATE": b'INTERNALDATE "01-Feb-2026 10:00:00 +0800"',
    }
    order = [
        first,
        *(
            name
            for name in ("MODSEQ", "BODY[]", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "UID")
            if name != first
        ),
    ]
    return b"* %d FETCH (" % seq + b" ".join(items[name] for name in order) + b")"


def body(uid: int) -> bytes:
    return b"Subject: message %d\r\n\r\n" % uid + b"x" * (uid * 50) + b"\r\n"
