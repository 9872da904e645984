"""UID FETCH of many messages: pipelined, streamed in UID order, with bounded memory.

How, and why:

* **Pipelined.** The UID set is cut into chunks (``chunk_size`` UIDs, at most 500 ranges each) and up to
  ``depth`` ``UID FETCH`` commands are on the wire at once. While we read chunk 1 the server is already
  working on chunks 2-4, so a round trip per chunk costs nothing; over a 100 ms link this is the difference
  between 10 and 1,000 messages per second for small mail.
* **Back-pressure.** Each command streams into its own :class:`~.streams.ResponseStream` tied to the
  connection's flow control: when the consumer (the archive writer) falls behind, the stream pauses the
  socket, TCP slows the server, and reading resumes once it catches up. Bodies above the spill threshold are
  spooled to files while hashed, so a 50 MB message is never in memory.
* **Strictly ascending UIDs.** The archive advances its "archived up to UID n" mark as results come, so a
  result is handed out only when every lower requested UID has been handed out or is known to be absent
  (its chunk completed without it). Servers send a chunk's messages in order, so normally nothing waits; a
  server that interleaves or reorders costs at most one chunk of buffering.
* **Matched by UID, not by position.** Items may come in any order and split over several responses; a
  response is routed to the chunk whose UID set holds its UID, whichever stream it arrived in. FETCHes that
  answer nothing we asked (flag changes by other clients, a UID outside every chunk, no UID at all) and
  EXISTS/EXPUNGE/VANISHED in between go to the connection's ``unsolicited`` stream, in the order the server
  sent them (:meth:`IMAPClient.take_events`).
* **PEEK only.** ``BODY[...]``, ``BINARY[...]``, ``RFC822`` and ``RFC822.TEXT`` set ``\\Seen`` on the server
  (RFC 3501 6.4.5): refused here, so an archive can never mark a team's unread mail as read.

Leaving early (``break``, an exception in the consumer) reads and discards the commands still in flight, so
the connection stays usable; cancellation aborts the connection instead, because draining could take long.
A chunk answered ``NO [EXPUNGEISSUED]`` is not an error: its missing messages were expunged meanwhile, and
the next resync reports them as vanished.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from mailwarden.core.errors import InputError, MailwardenError
from mailwarden.imap.commands import Argument, Raw
from mailwarden.imap.connection import Issued
from mailwarden.imap.errors import IMAPError
from mailwarden.imap.items import (
    FetchResult,
    discard_literals,
    fetch_items,
    fetch_result,
    is_content_key,
    response_key,
)
from mailwarden.imap.mailbox import uid_search
from mailwarden.imap.responses import UntaggedResponse, Value
from mailwarden.imap.session import Session
from mailwarden.imap.streams import ResponseStream
from mailwarden.imap.uidset import UidSet

__all__ = ["default_items", "fetch_arguments", "uid_fetch"]

log = logging.getLogger("mailwarden.imap")

_ITEM = re.compile(r"[A-Z0-9.\-]+(?:\[[\x20-\x5c\x5e-\x7e]*\])?(?:<\d+(?:\.\d+)?>)?")
_SETS_SEEN = re.compile(r"(?:BODY|BINARY)\[.*|RFC822|RFC822\.TEXT")
_NEEDS = {"MODSEQ": "CONDSTORE", "EMAILID": "OBJECTID", "THREADID": "OBJECTID"}
#: FETCH, and the folder news that may come between them: taken in to be parked in the server's order
#: (an EXPUNGE's sequence number means something only in that order)
_WANTS = ("FETCH", "EXISTS", "EXPUNGE", "VANISHED", "RECENT")
#: responses a chunk's stream holds before it pauses the socket
_HIGH_WATER, _LOW_WATER = 64, 16


def default_items(session: Session) -> list[str]:
    """What the archive needs: the message, its flags and dates, and every identity the server offers."""
    items = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"]
    return items + [item for item, needs in _NEEDS.items() if session.offers(needs)]


def fetch_arguments(session: Session, items: Iterable[str] | None) -> tuple[list[Argument], frozenset[str]]:
    """The FETCH attribute list and the response keys that make a result complete.

    UID is always added; MODSEQ / EMAILID / THREADID are dropped when the server lacks their capability.
    """
    names = [item.strip().upper() for item in (items if items is not None else default_items(session))]
    for name in names:
        if not _ITEM.fullmatch(name):
            raise InputError("imap.argument", detail=f"not a FETCH item: {name!r}")
        if _SETS_SEEN.fullmatch(name):
            raise InputError("imap.fetch_sets_seen", item=name)
    if "UID" not in names:
        names.insert(0, "UID")
    names = [n for n in dict.fromkeys(names) if (needs := _NEEDS.get(n)) is None or session.offers(needs)]
    return [Raw(name.encode("ascii")) for name in names], frozenset(response_key(n) for n in names)


@dataclass(eq=False)
class _Chunk:
    """One UID FETCH command in flight and what it has produced so far."""

    uids: UidSet
    issued: Issued
    stream: ResponseStream
    order: Iterator[int]
    next_uid: int | None
    ready: dict[int, FetchResult] = field(default_factory=dict)
    partial: dict[int, tuple[int, dict[str, Value], list[UntaggedResponse]]] = field(default_factory=dict)

    def expects(self, uid: int) -> bool:
        """True if ``uid`` is ours and not handed out yet (lower ones were, in order)."""
        return (
            self.next_uid is not None and uid >= self.next_uid and uid in self.uids and uid not in self.ready
        )

    def release(self) -> Iterator[FetchResult]:
        """Results that are next in UID order."""
        while self.next_uid is not None and self.next_uid in self.ready:
            yield self.ready.pop(self.next_uid)
            self.next_uid = next(self.order, None)

    def discard(self) -> None:
        for result in self.ready.values():
            result.discard()
        for _, pairs, _ in self.partial.values():
            discard_literals(pairs.values())
        self.ready.clear()
        self.partial.clear()


class _Pipeline:
    def __init__(
        self,
        session: Session,
        arguments: list[Argument],
        wanted: frozenset[str],
        chunks: Iterable[UidSet],
        depth: int,
    ) -> None:
        self.session = session
        self.connection = session.connection
        self.arguments = arguments
        self.wanted = wanted
        self.todo = iter(chunks)
        self.depth = depth
        self.inflight: deque[_Chunk] = deque()
        #: a completed chunk's results not handed out yet (owned here until they are)
        self.tail: deque[FetchResult] = deque()

    async def fill(self) -> None:
        while len(self.inflight) < self.depth and (uids := next(self.todo, None)) is not None:
            stream = ResponseStream(self.connection, high_water=_HIGH_WATER, low_water=_LOW_WATER)
            issued = await self.connection.send(
                "UID FETCH", Raw(bytes(uids)), self.arguments, wants=_WANTS, sink=stream
            )
            order = iter(uids)
            self.inflight.append(_Chunk(uids, issued, stream, order, next(order, None)))

    async def results(self) -> AsyncGenerator[FetchResult, None]:
        await self.fill()
        while self.inflight:
            head = self.inflight[0]
            while (response := await self.connection.receive(head.stream, command="UID FETCH")) is not None:
                self.take(response)
                for result in head.release():
                    yield result
            await self.completed(head)
            self.inflight.popleft()
            self.tail.extend(self.finish(head))
            await self.fill()  # the next command goes out before the consumer sees this chunk's tail
            while self.tail:
                yield self.tail.popleft()

    async def completed(self, chunk: _Chunk) -> None:
        """The chunk's tagged answer; NO [EXPUNGEISSUED] only means some of its messages were gone."""
        result = await chunk.issued.result(check=False)
        tagged = result.tagged
        code = tagged.code.name if tagged.code else None
        if tagged.status == "OK":
            return
        if tagged.status == "NO" and code == "EXPUNGEISSUED":
            log.info(
                "imap %s:%s some messages were expunged during UID FETCH",
                self.connection.host,
                self.connection.port,
            )
            return
        raise IMAPError.from_status(
            tagged.status,
            code=code,
            text=tagged.text,
            command="UID FETCH",
            host=self.connection.host,
            port=self.connection.port,
        )

    def take(self, response: UntaggedResponse) -> None:
        """File one FETCH under the chunk it answers, or park it as unsolicited."""
        if response.name != "FETCH":
            self.session.park(response)
            return
        try:
            pairs = fetch_items(response)
        except ValueError as exc:
            self.session.bad_data("UID FETCH", exc)
        uid = pairs.get("UID")
        owner = None
        if isinstance(uid, int) and response.number is not None:
            owner = next((chunk for chunk in self.inflight if chunk.expects(uid)), None)
        if owner is None:
            # No UID, a UID we did not ask for, or one already handed out: another client changed flags.
            discard_literals(pairs.values())
            self.session.park(response)
            return
        assert isinstance(uid, int) and response.number is not None
        # A flags-only FETCH for a UID still to come may be such a change too, or the first half of a split
        # answer; both merge (the later FLAGS win), and finish() parks it if no message content followed.
        seq, merged, seen = owner.partial.pop(uid, (response.number, {}, []))
        merged.update(pairs)
        seen.append(response)
        if self.wanted <= merged.keys():
            owner.ready[uid] = self.result(seq, merged)
        else:
            owner.partial[uid] = (seq, merged, seen)

    def finish(self, chunk: _Chunk) -> list[FetchResult]:
        """The rest of a completed chunk, in UID order; what never became a message is parked."""
        for uid, (seq, merged, seen) in sorted(chunk.partial.items()):
            if any(is_content_key(key) for key in merged):
                chunk.ready[uid] = self.result(seq, merged)  # a server that left out an item we asked for
            else:
                for response in seen:
                    self.session.park(response)
        chunk.partial.clear()
        out = [chunk.ready.pop(uid) for uid in sorted(chunk.ready)]
        chunk.next_uid = None
        return out

    def result(self, seq: int, pairs: dict[str, Value]) -> FetchResult:
        try:
            return fetch_result(seq, pairs)
        except ValueError as exc:
            discard_literals(pairs.values())
            self.session.bad_data("UID FETCH", exc)

    async def drain(self) -> None:
        """Read and throw away what the commands still in flight send, so the connection stays usable."""
        while self.inflight:
            chunk = self.inflight.popleft()
            chunk.discard()
            while (response := await self.connection.receive(chunk.stream, command="UID FETCH")) is not None:
                discard_literals(response.data)
            await chunk.issued.result(check=False)

    def discard(self) -> None:
        for result in self.tail:
            result.discard()
        self.tail.clear()
        for chunk in self.inflight:
            chunk.discard()
            while (response := chunk.stream.get_nowait()) is not None:
                discard_literals(response.data)


async def uid_fetch(
    session: Session,
    uids: UidSet,
    items: Sequence[str] | None = None,
    *,
    depth: int = 4,
    chunk_size: int = 128,
) -> AsyncGenerator[FetchResult, None]:
    """The messages ``uids`` with ``items``, in ascending UID order (see the module docstring).

    A set with ``*`` is resolved with one UID SEARCH first, so that chunks hold messages that exist.
    """
    if depth < 1 or chunk_size < 1:
        raise InputError("imap.argument", detail="depth and chunk_size must be at least 1")
    session.ready("UID FETCH", selected=True)
    arguments, wanted = fetch_arguments(session, items)
    if uids.is_open:
        uids = await uid_search(session, [Raw(b"UID"), Raw(bytes(uids))])
    if not uids:
        return
    pipeline = _Pipeline(session, arguments, wanted, uids.chunks(chunk_size), depth)
    with session.exclusive("UID FETCH"):
        try:
            async for result in pipeline.results():
                yield result
        except (GeneratorExit, MailwardenError):
            # The consumer stopped early, or one chunk failed (a NO): read off the rest, keep the connection.
            with contextlib.suppress(MailwardenError):
                await pipeline.drain()
            raise
        except BaseException:
            # Cancelled (draining could take long), or a bug: the connection's state is unknown.
            session.connection.abort()
            raise
        finally:
            pipeline.discard()
