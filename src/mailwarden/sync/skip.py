"""When a folder may be skipped, and how the server's folders pair with ours: plain functions, no database.

Two callers must agree to the letter: the sync engine (:mod:`.engine`, :mod:`.folders`), which skips a folder
whose STATUS matches what it saved, and the quick no-change check (:mod:`.quick`), which answers "nothing
changed" for a whole mailbox without starting the engine at all. A difference between them would let the quick
check call a changed mailbox unchanged, and that loses mail from the archive; so both use these functions.

A saved folder is anything with the columns of ``archive_folders`` that matter here (the ORM row, or a plain
row the quick check read with ``sqlite3``): :class:`SavedFolder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from mailwarden.imap.folders import Folder as ServerFolder
from mailwarden.imap.folders import FolderStatus

__all__ = ["FolderPairing", "SavedFolder", "pair_folders", "selectable", "unchanged"]


class SavedFolder(Protocol):
    """What we saved about a folder at the end of its last complete pass."""

    @property
    def name(self) -> str: ...
    @property
    def uidvalidity(self) -> int: ...
    @property
    def uidnext(self) -> int | None: ...
    @property
    def highest_modseq(self) -> int | None: ...
    @property
    def server_messages(self) -> int | None: ...
    @property
    def last_synced_at(self) -> datetime | None: ...


S = TypeVar("S", bound=SavedFolder)


def unchanged(status: FolderStatus | None, saved: SavedFolder) -> bool:
    """Whether STATUS says the folder is as we left it: nothing new, nothing expunged, no flag changed.

    UIDNEXT catches arrivals, MESSAGES expunges, HIGHESTMODSEQ (CONDSTORE) flag changes; UIDVALIDITY a new
    generation. A folder never synced completely (``last_synced_at`` unset) is never unchanged. Without
    CONDSTORE a flag change is invisible here: ``--full`` looks anyway.
    """
    if status is None or saved.last_synced_at is None:
        return False
    return (
        status.uidvalidity == saved.uidvalidity
        and status.uidnext == saved.uidnext
        and status.messages == saved.server_messages
        and (status.highest_modseq is None or status.highest_modseq == saved.highest_modseq)
    )


def selectable(listed: list[ServerFolder]) -> list[ServerFolder]:
    """The folders a pass looks at: selectable, with a STATUS that names their UIDVALIDITY."""
    return [f for f in listed if f.selectable and f.status is not None and f.status.uidvalidity]


@dataclass
class FolderPairing(Generic[S]):
    """The server's folders against our active rows, by name and UIDVALIDITY, in the server's order."""

    #: same name, same UIDVALIDITY: the folder we archive
    matched: list[tuple[ServerFolder, S]] = field(default_factory=list)
    #: same name, another UIDVALIDITY: our generation is superseded by the server's
    superseded: list[tuple[ServerFolder, S]] = field(default_factory=list)
    #: server folders with no row of their own (new, renamed, or a new generation), in order
    unmatched: list[ServerFolder] = field(default_factory=list)
    #: our rows the server did not list under their name (renamed or gone), by name
    leftover: dict[str, S] = field(default_factory=dict)

    @property
    def at_rest(self) -> bool:
        """Whether the folder ledger has nothing to do: no folder created, renamed, superseded or gone."""
        return not (self.superseded or self.unmatched or self.leftover)


def pair_folders(listed: list[ServerFolder], active: list[S]) -> FolderPairing[S]:
    """Pair the server's selectable folders with our active rows (see :func:`.folders.reconcile_folders`)."""
    pairing: FolderPairing[S] = FolderPairing(leftover={row.name: row for row in active})
    for server in selectable(listed):
        assert server.status is not None
        row = pairing.leftover.pop(server.name, None)
        if row is not None and row.uidvalidity == server.status.uidvalidity:
            pairing.matched.append((server, row))
            continue
        if row is not None:
            pairing.superseded.append((server, row))
        pairing.unmatched.append(server)
    return pairing
