"""Where untagged responses go when no command collects them in a list: bounded streams.

A UID FETCH of a whole mailbox produces one untagged FETCH per message, possibly hundreds of thousands.
Collecting them in a list would hold the mailbox's metadata (and spool-file handles) in memory; instead the
command gets a :class:`ResponseStream` and its consumer (the archive writer) pulls from it. When the consumer
falls behind, the stream asks the connection to stop reading the socket (``pause``), TCP flow control slows
the server, and reading resumes once the consumer has caught up (``resume``). Memory stays bounded without
dropping anything.

A stream without flow control (the connection's ``unsolicited`` stream, which nobody may be reading) must not
stop the socket -- that would stall every command behind it -- so it fails loudly past its high-water mark
instead of growing without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from mailwarden.imap.responses import UntaggedResponse

__all__ = ["FlowControl", "ResponseStream", "StreamOverflow"]


class FlowControl(Protocol):
    """What a stream needs from the connection: stop and restart reading the socket on its behalf."""

    def pause_reading(self, owner: object) -> None: ...

    def resume_reading(self, owner: object) -> None: ...


class StreamOverflow(Exception):
    """Internal: a stream without flow control is over its high-water mark (the connection fails)."""


class ResponseStream:
    """A queue of untagged responses with an async iterator that ends when the stream is closed.

    ``put`` never blocks (it is called from the protocol's ``data_received``); with ``flow`` it pauses the
    socket at ``high_water`` responses and resumes at ``low_water``, without it ``put`` raises
    :class:`StreamOverflow`.
    """

    def __init__(
        self, flow: FlowControl | None = None, *, high_water: int = 1000, low_water: int = 100
    ) -> None:
        if not 0 <= low_water < high_water:
            raise ValueError("need 0 <= low_water < high_water")
        self._flow = flow
        self._high = high_water
        self._low = low_water
        self._items: deque[UntaggedResponse] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._closed = False
        self._error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, response: UntaggedResponse) -> None:
        if self._closed:
            return
        if self._flow is None and len(self._items) >= self._high:
            raise StreamOverflow(f"more than {self._high} responses nobody reads")
        self._items.append(response)
        self._wake()
        if self._flow is not None and not self._paused and len(self._items) >= self._high:
            self._paused = True
            self._flow.pause_reading(self)

    def close(self, error: BaseException | None = None) -> None:
        """No more responses; readers get the ones queued, then ``StopAsyncIteration`` (or ``error``)."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        self._resume()
        self._wake()

    async def get(self) -> UntaggedResponse:
        """The next response; the close error, or ``EOFError`` once a cleanly closed stream is empty."""
        while not self._items:
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise EOFError("the response stream is closed")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._pop()

    def get_nowait(self) -> UntaggedResponse | None:
        """The next queued response, or None (never waits)."""
        return self._pop() if self._items else None

    @property
    def error(self) -> BaseException | None:
        """What the stream was closed with, if it was closed because something failed."""
        return self._error

    def readable(self) -> asyncio.Future[None]:
        """A future that is done once a response is queued or the stream is closed.

        For callers that wait with their own deadline (the connection's inactivity timeout, IDLE's renewal)
        instead of inside :meth:`get`. One reader at a time, like :meth:`get`.
        """
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_future()
        if self._items or self._closed:
            self._wake()
        return self._waiter

    def _pop(self) -> UntaggedResponse:
        item = self._items.popleft()
        if self._paused and len(self._items) <= self._low:
            self._resume()
        return item

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> UntaggedResponse:
        try:
            return await self.get()
        except EOFError:
            raise StopAsyncIteration from None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _resume(self) -> None:
        if self._paused and self._flow is not None:
            self._paused = False
            self._flow.resume_reading(self)
