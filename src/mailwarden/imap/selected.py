"""The state of the folder EXAMINE opened, read from its answer (RFC 3501 6.3.1, 7162 3.2.5, 8474 4.1).

A pure function over the responses, so the odd cases are unit-tested: ``[CLOSED]`` (with QRESYNC, what comes
before it still describes the *previous* folder and must not leak into this one), ``NOMODSEQ``, a missing
UIDNEXT, ``VANISHED (EARLIER)`` split over several responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mailwarden.imap.events import FlagUpdate, to_event, vanished
from mailwarden.imap.items import as_int, as_text, flags_of
from mailwarden.imap.responses import ResponseCode, TaggedResponse, UntaggedResponse
from mailwarden.imap.uidset import UidSet

__all__ = ["SelectedFolder", "parse_select"]


@dataclass(frozen=True, slots=True)
class SelectedFolder:
    """What EXAMINE reported. ``highest_modseq`` is None when the folder has no mod-sequences (NOMODSEQ)
    or the server no CONDSTORE; ``mailbox_id`` is None without OBJECTID (Dovecot 2.3).

    With QRESYNC, ``vanished`` holds the UIDs expunged since the given mod-sequence and ``changes`` the
    messages whose flags changed since then (both empty without QRESYNC or when UIDVALIDITY changed: then
    everything must be fetched again anyway).
    """

    name: str
    raw: bytes
    read_only: bool
    exists: int
    uidvalidity: int | None
    uidnext: int | None
    highest_modseq: int | None
    flags: frozenset[str]
    permanent_flags: frozenset[str]
    mailbox_id: str | None = None
    vanished: UidSet = field(default_factory=UidSet)
    changes: tuple[FlagUpdate, ...] = ()


class _Accumulator:
    def __init__(self) -> None:
        self.exists = 0
        self.uidvalidity: int | None = None
        self.uidnext: int | None = None
        self.highest_modseq: int | None = None
        self.flags: frozenset[str] = frozenset()
        self.permanent_flags: frozenset[str] = frozenset()
        self.mailbox_id: str | None = None
        self.vanished = UidSet()
        self.changes: list[FlagUpdate] = []

    def code(self, code: ResponseCode) -> None:
        args = code.args
        if code.name == "UIDVALIDITY" and args:
            self.uidvalidity = as_int(args[0], "UIDVALIDITY")
        elif code.name == "UIDNEXT" and args:
            self.uidnext = as_int(args[0], "UIDNEXT")
        elif code.name == "HIGHESTMODSEQ" and args:
            self.highest_modseq = as_int(args[0], "HIGHESTMODSEQ")
        elif code.name == "NOMODSEQ":
            self.highest_modseq = None
        elif code.name == "PERMANENTFLAGS" and args:
            self.permanent_flags = flags_of(args[0])
        elif code.name == "MAILBOXID" and args:
            value = args[0]
            if isinstance(value, tuple) and len(value) == 1:
                value = value[0]
            self.mailbox_id = as_text(value, "MAILBOXID")


def parse_select(
    name: str, raw: bytes, untagged: Iterable[UntaggedResponse], tagged: TaggedResponse
) -> SelectedFolder:
    """The folder state from an EXAMINE (or SELECT) answer; ``ValueError`` on malformed data."""
    acc = _Accumulator()
    for response in untagged:
        if response.code is not None and response.code.name == "CLOSED":
            acc = _Accumulator()  # everything so far belonged to the folder that was open before
            continue
        if response.code is not None:
            acc.code(response.code)
        if response.name == "FLAGS" and response.data:
            acc.flags = flags_of(response.data[0])
        elif response.name == "EXISTS" and response.number is not None:
            acc.exists = response.number
        elif response.name == "VANISHED":
            acc.vanished = acc.vanished | vanished(response).uids
        elif response.name == "FETCH":
            event = to_event(response)
            if isinstance(event, FlagUpdate):
                acc.changes.append(event)
    if tagged.code is not None:
        acc.code(tagged.code)
    read_only = tagged.code is not None and tagged.code.name == "READ-ONLY"
    return SelectedFolder(
        name=name,
        raw=raw,
        read_only=read_only,
        exists=acc.exists,
        uidvalidity=acc.uidvalidity,
        uidnext=acc.uidnext,
        highest_modseq=acc.highest_modseq,
        flags=acc.flags,
        permanent_flags=acc.permanent_flags,
        mailbox_id=acc.mailbox_id,
        vanished=acc.vanished,
        changes=tuple(acc.changes),
    )
