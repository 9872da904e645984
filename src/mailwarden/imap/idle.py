"""IDLE (RFC 2177): wait for the server to say that the open folder changed.

``async with client.idle() as idle:`` sends IDLE and waits for ``+``; ``await idle.next(timeout=60)`` gives
the next :mod:`event <.events>` or None after 60 s, ``async for event in idle`` runs until the caller stops;
leaving the block sends DONE and waits for the OK.

Two clocks, on purpose:

* **Renewal.** Servers may drop a client that idles for 30 minutes without a word (RFC 2177 asks clients to
  re-issue IDLE at least every 29 minutes), and NAT boxes forget quiet connections. Every ``renew_after``
  seconds (28 minutes by default) the session sends DONE and IDLE again, unseen by the caller.
* **Inactivity.** The connection's normal timeout does not apply while idling -- silence is the point -- but
  it does apply to every exchange around it (``+`` after IDLE, OK after DONE). A peer that vanished is found
  by TCP keepalive (about 2 minutes, :mod:`.protocol`) or at the next renewal at the latest.

A BYE or a dropped connection during IDLE raises the connection's error (``IMAPError`` with status BYE,
``NetworkError``) from :meth:`IdleSession.next`; it never waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from types import TracebackType

from mailwarden.imap.connection import Issued
from mailwarden.imap.events import MailboxEvent, to_event
from mailwarden.imap.responses import UntaggedResponse
from mailwarden.imap.session import Session
from mailwarden.imap.streams import ResponseStream

__all__ = ["RENEW_AFTER", "IdleSession"]

log = logging.getLogger("mailwarden.imap")

#: seconds between DONE/IDLE renewals: under RFC 2177's 29 minutes with room for a slow round trip
RENEW_AFTER = 28 * 60.0
_WANTS = ("EXISTS", "EXPUNGE", "VANISHED", "FETCH", "RECENT", "FLAGS", "OK", "NO", "BAD")


class IdleSession:
    """One IDLE period after another until the ``async with`` block ends (see the module docstring)."""

    def __init__(self, session: Session, *, renew_after: float = RENEW_AFTER) -> None:
        if renew_after <= 0:
            raise ValueError("renew_after must be positive")
        self._session = session
        self._connection = session.connection
        self._renew_after = renew_after
        self._loop = asyncio.get_running_loop()
        self._issued: Issued | None = None
        self._stream: ResponseStream | None = None
        self._backlog: deque[UntaggedResponse] = deque()
        self._deadline = 0.0
        self._exclusive: contextlib.ExitStack | None = None
        #: how many times IDLE was sent (1 + renewals + restarts after the server ended it)
        self.rounds = 0

    async def __aenter__(self) -> IdleSession:
        self._session.ready("IDLE", selected=True)
        self._session.require("IDLE", "IDLE")
        with contextlib.ExitStack() as stack:
            stack.enter_context(self._session.exclusive("IDLE"))
            await self._start()
            self._exclusive = stack.pop_all()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._connection.usable and self._issued is not None and not self._issued.done:
                try:
                    await self._stop()
                except BaseException:
                    self._connection.abort()
                    if exc is None:
                        raise
            for response in self._backlog:
                self._session.park(response)  # late events stay available to take_events()
            self._backlog.clear()
        finally:
            if self._exclusive is not None:
                self._exclusive.close()

    def __aiter__(self) -> IdleSession:
        return self

    async def __anext__(self) -> MailboxEvent:
        event = await self.next()
        assert event is not None  # without a timeout, next() returns only with an event
        return event

    async def next(self, timeout: float | None = None) -> MailboxEvent | None:  # noqa: ASYNC109
        """The next event, or None once ``timeout`` seconds pass without one (None: no time limit)."""
        end = None if timeout is None else self._loop.time() + timeout
        while True:
            response = self._backlog.popleft() if self._backlog else self._take()
            if response is not None:
                event = self._event(response)
                if event is not None:
                    return event
                continue
            assert self._stream is not None and self._issued is not None
            if self._stream.closed:
                if self._stream.error is not None:
                    raise self._stream.error
                await self._issued.result()  # the server ended IDLE by itself: fine if OK, then again
                await self._start()
                continue
            now = self._loop.time()
            if now >= self._deadline:
                await self._stop()
                await self._start()
                continue
            if end is not None and now >= end:
                return None
            until = self._deadline if end is None else min(self._deadline, end)
            await asyncio.wait([self._stream.readable()], timeout=until - now)

    def _take(self) -> UntaggedResponse | None:
        assert self._stream is not None
        return self._stream.get_nowait()

    def _event(self, response: UntaggedResponse) -> MailboxEvent | None:
        try:
            return to_event(response)
        except ValueError as exc:
            self._session.bad_data("IDLE", exc)

    async def _start(self) -> None:
        stream = ResponseStream(self._connection, high_water=256, low_water=64)
        issued = await self._connection.send(
            "IDLE", wants=_WANTS, sink=stream, on_continuation=lambda _: None
        )
        self._stream, self._issued = stream, issued
        if issued.done:  # NO or BAD instead of "+"
            await issued.result()
        self.rounds += 1
        self._deadline = self._loop.time() + self._renew_after
        log.debug("imap %s:%s idling", self._connection.host, self._connection.port)

    async def _stop(self) -> None:
        """DONE, then the OK; what arrived in between is kept for the caller."""
        assert self._issued is not None and self._stream is not None
        await self._connection.continue_command(self._issued, b"DONE")
        await self._issued.result()
        while (response := self._stream.get_nowait()) is not None:
            self._backlog.append(response)
