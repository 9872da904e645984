"""The commands the archive sync engine uses, as methods of :class:`~.client.IMAPClient`.

Each method is a thin door to a module that holds the logic as plain functions over a
:class:`~.session.Session` (folders, account, mailbox, fetch, idle, append), so every piece can be read and
tested on its own. All of them follow the server's CAPABILITY; what an absent capability means is said per
method.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from mailwarden.imap import account, append, fetch, folders, mailbox
from mailwarden.imap.account import Namespaces, Quota
from mailwarden.imap.append import AppendUID
from mailwarden.imap.events import MailboxEvent, to_event
from mailwarden.imap.folders import Folder, FolderStatus
from mailwarden.imap.idle import RENEW_AFTER, IdleSession
from mailwarden.imap.items import FetchResult
from mailwarden.imap.mailbox import Criteria, FlagChanges, QResync
from mailwarden.imap.selected import SelectedFolder
from mailwarden.imap.session import Session
from mailwarden.imap.uidset import UidSet

__all__ = ["Operations"]


class Operations(Session):
    """Folder, message and session commands (mixed into IMAPClient)."""

    async def list_folders(
        self, pattern: str = "*", *, with_status: bool = True, status_items: Iterable[str] | None = None
    ) -> list[Folder]:
        """Every folder, with special-use attributes and (``with_status``) STATUS, in as few round trips as
        the server allows (LIST-STATUS: one)."""
        return await folders.list_folders(
            self, pattern=pattern, with_status=with_status, status_of=status_items
        )

    async def create(self, name: str) -> bool:
        """CREATE a folder; False (and no error) if it exists already. Parents are the server's business
        (RFC 3501: a server creates the levels a name implies)."""
        return await folders.create(self, name)

    async def status(self, folder: str | Folder, items: Iterable[str] | None = None) -> FolderStatus:
        """STATUS: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ (CONDSTORE), MAILBOXID (OBJECTID)."""
        return await folders.status(self, folder, items)

    async def namespace(self) -> Namespaces | None:
        """NAMESPACE; None without the capability."""
        return await account.namespace(self)

    async def getquotaroot(self, folder: str | Folder = "INBOX") -> tuple[Quota, ...] | None:
        """The quotas of ``folder`` (storage in KiB, messages); None without QUOTA."""
        return await account.getquotaroot(self, folder)

    async def enable(self, *capabilities: str) -> frozenset[str]:
        """ENABLE those of ``capabilities`` the server offers (CONDSTORE, QRESYNC); returns what is on."""
        return await account.enable(self, *capabilities)

    async def compress(self) -> bool:
        """COMPRESS=DEFLATE if offered; False (and nothing sent) otherwise."""
        return await account.compress(self)

    async def examine(self, folder: str | Folder, *, qresync: QResync | None = None) -> SelectedFolder:
        """Open ``folder`` read-only; with ``qresync=(uidvalidity, modseq, known_uids)``, also what vanished
        and changed since. There is deliberately no SELECT (see :mod:`.mailbox`)."""
        return await mailbox.examine(self, folder, qresync=qresync)

    async def uid_search(self, criteria: Criteria = "ALL") -> UidSet:
        """UID SEARCH in the open folder (ESEARCH when offered)."""
        return await mailbox.uid_search(self, criteria)

    def uid_fetch(
        self,
        uids: UidSet,
        items: Sequence[str] | None = None,
        *,
        depth: int = 4,
        chunk_size: int = 128,
    ) -> AsyncGenerator[FetchResult, None]:
        """Pipelined UID FETCH, results in ascending UID order; PEEK only (see :mod:`.fetch`).

        Use as ``async with contextlib.aclosing(client.uid_fetch(uids)) as results: async for r in results``
        when you may stop early: the connection is busy until the iterator is closed.
        """
        return fetch.uid_fetch(self, uids, items, depth=depth, chunk_size=chunk_size)

    async def uid_fetch_flags(self, uids: UidSet, *, changedsince: int | None = None) -> FlagChanges:
        """Flags only, for the cheap resync: CHANGEDSINCE with CONDSTORE, VANISHED once QRESYNC is enabled."""
        return await mailbox.uid_fetch_flags(self, uids, changedsince=changedsince)

    def idle(self, *, renew_after: float = RENEW_AFTER) -> IdleSession:
        """``async with client.idle() as idle:`` -- events from the open folder until the block ends."""
        return IdleSession(self, renew_after=renew_after)

    async def append(
        self,
        folder: str | Folder,
        message: bytes | Path,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> AppendUID | None:
        """APPEND (LITERAL+ when offered); where it landed when the server has UIDPLUS."""
        return await append.append(self, folder, message, flags=flags, internal_date=internal_date)

    def take_events(self) -> list[MailboxEvent]:
        """The folder events the server sent between commands (EXISTS, EXPUNGE, VANISHED, flag changes).

        Call it after each command batch in a long session: the connection keeps at most 10,000 such
        responses and fails past that rather than dropping news of an expunge.
        """
        events = []
        while (response := self.connection.unsolicited.get_nowait()) is not None:
            try:
                event = to_event(response)
            except ValueError as exc:
                self.bad_data(response.name, exc)
            if event is not None:
                events.append(event)
        return events
