"""What every command needs to know about the session: capabilities, state, what is enabled and selected.

:class:`~.client.IMAPClient` is a :class:`Session`; the command modules (:mod:`.folders`, :mod:`.mailbox`,
:mod:`.fetch`, :mod:`.idle`, ...) take one. Keeping this small base apart lets those modules stay plain
functions over a typed object, without importing the client.

One rule is enforced here: while a UID FETCH is streaming or IDLE is running, no other command may go out on
the same connection. A streamed FETCH pauses the socket when its reader falls behind; a command sent behind
it would wait for an answer that cannot be read until the reader it is blocking reads on -- a deadlock that
would look like a silent server. Such a call fails at once with ``imap.busy``; use a second connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal, NoReturn

from mailwarden.core.errors import InputError
from mailwarden.imap.connection import IMAPConnection
from mailwarden.imap.errors import IMAPError
from mailwarden.imap.responses import UntaggedResponse
from mailwarden.imap.selected import SelectedFolder
from mailwarden.imap.streams import StreamOverflow

__all__ = ["Session", "State"]

State = Literal["not_authenticated", "authenticated", "logged_out"]


class Session:
    """The connection plus the session facts that decide what a command may do and how."""

    def __init__(self, connection: IMAPConnection, state: State) -> None:
        self.connection = connection
        self._state: State = state
        #: capabilities switched on with ENABLE (CONDSTORE, QRESYNC, ...)
        self.enabled: frozenset[str] = frozenset()
        #: the folder EXAMINE opened (None when none is, or after a failed EXAMINE)
        self.selected: SelectedFolder | None = None
        self._busy: str | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        return self.connection.capabilities or frozenset()

    @property
    def state(self) -> State:
        return self._state

    def offers(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def ready(self, command: str, *, selected: bool = False) -> None:
        """Raise unless ``command`` may go out now: logged in, not busy, and a folder open if it needs one."""
        self.free(command)
        where = self.where()
        if self._state != "authenticated":
            raise InputError("imap.not_authenticated", command=command, state=self._state, **where)
        if selected and self.selected is None:
            raise InputError("imap.not_selected", command=command, **where)

    def free(self, command: str) -> None:
        """Raise ``imap.busy`` while a UID FETCH stream or IDLE holds the connection."""
        if self._busy is not None:
            raise InputError("imap.busy", command=command, activity=self._busy, **self.where())

    def require(self, capability: str, command: str) -> None:
        """Raise a permanent IMAPError if the server does not offer ``capability``."""
        if not self.offers(capability):
            raise IMAPError(
                "imap.unsupported",
                command=command,
                capability=capability,
                host=self.connection.host,
                port=self.connection.port,
                permanent=True,
            )

    def bad_data(self, command: str, problem: Exception | str) -> NoReturn:
        """The server answered, but not in the shape the RFC gives: that is a broken server, not "nothing"."""
        raise IMAPError(
            "imap.protocol",
            command=command,
            detail=f"{command}: {problem}",
            host=self.connection.host,
            port=self.connection.port,
        ) from (problem if isinstance(problem, Exception) else None)

    @contextlib.contextmanager
    def exclusive(self, activity: str) -> Iterator[None]:
        """Mark the connection as taken by a streaming ``activity`` (UID FETCH, IDLE) until the block ends."""
        self.ready(activity)
        self._busy = activity
        try:
            yield
        finally:
            self._busy = None

    def park(self, response: UntaggedResponse) -> None:
        """Hand a response that turned out not to be ours to the ``unsolicited`` stream (for take_events)."""
        try:
            self.connection.unsolicited.put(response)
        except StreamOverflow as exc:
            error = IMAPError("imap.backlog", detail=str(exc), **self.where())
            self.connection.abort()
            raise error from exc

    def where(self) -> dict[str, Any]:
        return {"host": self.connection.host, "port": self.connection.port}
