"""Who gets each response: routing without a socket, so it can be tested (and read) on its own.

Order of precedence, the same for one command or fifty pipelined ones:

1. the first response of a connection is the greeting (untagged OK, PREAUTH or BYE) -- anything else is a
   protocol violation;
2. a tagged response completes the command with that tag;
3. ``+`` goes to the command that is sending (only the holder of the send lock can wait for one);
4. an untagged response goes to the *oldest* in-flight command that ``wants`` its name (RFC 3501 5.5: the
   server may interleave, but answers to the same kind of request come in order), as a list entry or into the
   command's stream;
5. everything else is unsolicited: EXISTS, EXPUNGE, VANISHED, flag FETCHes from other clients, alerts.

Along the way the router keeps what the connection must know regardless of who asked: the capability list
(from ``* CAPABILITY`` or a ``[CAPABILITY ...]`` code, whenever the server sends it) and the last BYE.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from mailwarden.core.errors import MailwardenError
from mailwarden.imap.errors import IMAPError
from mailwarden.imap.responses import (
    ContinuationRequest,
    Response,
    ResponseCode,
    TaggedResponse,
    UntaggedResponse,
    Value,
)
from mailwarden.imap.streams import ResponseStream

__all__ = ["Pending", "Router"]

_GREETINGS = frozenset({"OK", "PREAUTH", "BYE"})


@dataclass(eq=False, slots=True)
class Pending:
    """A command in flight: its completion, and the untagged responses routed to it."""

    tag: str
    name: str
    wants: frozenset[str]
    done: asyncio.Future[TaggedResponse]
    sink: ResponseStream | None
    untagged: list[UntaggedResponse] = field(default_factory=list)


def _capability_set(values: tuple[Value, ...]) -> frozenset[str]:
    return frozenset(v.decode("ascii", "replace").upper() for v in values if isinstance(v, bytes))


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a failed future's exception as seen: a connection failure fails futures nobody may await."""
    if not future.cancelled():
        future.exception()


class Router:
    """Routes parsed responses of one connection to the futures, lists and streams waiting for them."""

    def __init__(self, *, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._loop = asyncio.get_running_loop()
        self.greeting: asyncio.Future[UntaggedResponse] = self.future()
        self.pending: dict[str, Pending] = {}
        self.continuation: asyncio.Future[ContinuationRequest] | None = None
        self.capabilities: frozenset[str] | None = None
        self.bye: UntaggedResponse | None = None
        self.failure: MailwardenError | None = None
        #: untagged responses no command asked for; fails the connection past 10,000 unread
        self.unsolicited = ResponseStream(high_water=10_000, low_water=0)

    def future(self) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        future.add_done_callback(_retrieve)
        return future

    def register(self, tag: str, name: str, wants: frozenset[str], sink: ResponseStream | None) -> Pending:
        pending = Pending(tag, name, wants, self.future(), sink)
        self.pending[tag] = pending
        return pending

    def expect_continuation(self) -> asyncio.Future[ContinuationRequest]:
        """Register for the next ``+`` *before* writing what provokes it: it may arrive before we await."""
        self.continuation = self.future()
        return self.continuation

    def command_for(self, tag: str) -> str | None:
        pending = self.pending.get(tag)
        return pending.name if pending else None

    def route(self, response: Response) -> None:
        if not self.greeting.done():
            if not isinstance(response, UntaggedResponse) or response.name not in _GREETINGS:
                raise self._violation("the server did not begin with a greeting")
            self._note(response)
            self.greeting.set_result(response)
        elif isinstance(response, TaggedResponse):
            pending = self.pending.pop(response.tag, None)
            if pending is None:
                raise self._violation(f"a completion for tag {response.tag!r}, which is not in flight")
            self._note_code(response.code)
            if pending.sink is not None:
                pending.sink.close()  # everything the command produced is queued ahead of this point
            if not pending.done.done():
                pending.done.set_result(response)
        elif isinstance(response, ContinuationRequest):
            waiter = self.continuation
            if waiter is None or waiter.done():
                raise self._violation("a continuation request nobody asked for")
            waiter.set_result(response)
        else:
            self._note(response)
            self._deliver(response)

    def _deliver(self, response: UntaggedResponse) -> None:
        for pending in self.pending.values():  # dicts keep insertion order: oldest first
            if response.name in pending.wants:
                if pending.sink is not None:
                    pending.sink.put(response)
                else:
                    pending.untagged.append(response)
                return
        self.unsolicited.put(response)

    def _note(self, response: UntaggedResponse) -> None:
        if response.name == "CAPABILITY":
            self.capabilities = _capability_set(response.data)
        elif response.name == "BYE":
            self.bye = response
        self._note_code(response.code)

    def _note_code(self, code: ResponseCode | None) -> None:
        if code is not None and code.name == "CAPABILITY":
            self.capabilities = _capability_set(code.args)

    def _violation(self, detail: str) -> IMAPError:
        return IMAPError("imap.protocol", host=self._host, port=self._port, detail=detail)

    def fail(self, error: MailwardenError, *, clean: bool = False) -> None:
        """Fail everything still waiting with ``error``; the first failure is the one that sticks.

        ``clean``: we closed the connection ourselves, so readers of ``unsolicited`` just see its end.
        """
        if self.failure is None:
            self.failure = error
        error = self.failure
        waiters: list[asyncio.Future[Any]] = [self.greeting]
        if self.continuation is not None:
            waiters.append(self.continuation)
        for pending in self.pending.values():
            waiters.append(pending.done)
            if pending.sink is not None:
                pending.sink.close(error)
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(error)
        self.pending.clear()
        self.unsolicited.close(None if clean else error)
