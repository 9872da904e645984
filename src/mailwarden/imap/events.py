"""What a server tells about the selected folder on its own: new mail, expunges, flag changes.

They arrive during IDLE, but also in the middle of any other command (RFC 3501 7: "the server MAY send
untagged data at any time"), and the connection parks them in ``unsolicited``. The sync engine needs them
typed and in order: an :class:`Exists` means "fetch from UIDNEXT", a :class:`Vanished` means "tombstone these
UIDs", a :class:`FlagUpdate` means "update one row".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeAlias

from mailwarden.imap.items import as_int, discard_literals, fetch_items, flags_of
from mailwarden.imap.responses import Atom, UntaggedResponse, Value
from mailwarden.imap.uidset import UidSet

__all__ = [
    "Exists",
    "Expunge",
    "FlagUpdate",
    "MailboxEvent",
    "Vanished",
    "to_event",
    "uid_set_of",
    "vanished",
]

log = logging.getLogger("mailwarden.imap")


@dataclass(frozen=True, slots=True)
class Exists:
    """``* n EXISTS``: the folder now holds ``count`` messages (new mail when it grows)."""

    count: int


@dataclass(frozen=True, slots=True)
class Expunge:
    """``* n EXPUNGE``: message number ``seq`` is gone, and later numbers moved down by one.

    Only a sequence number: without QRESYNC the UID must be worked out by a UID SEARCH (or a full resync).
    """

    seq: int


@dataclass(frozen=True, slots=True)
class Vanished:
    """``* VANISHED [(EARLIER)] uids`` (QRESYNC): these UIDs are gone.

    ``earlier`` is True in answers to EXAMINE/UID FETCH with QRESYNC (expunged before this session asked);
    False for expunges happening now.
    """

    uids: UidSet
    earlier: bool = False


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    """``* n FETCH (FLAGS ...)`` that no fetch of ours asked for: another client changed flags.

    ``uid`` is None unless the server includes it (it must once QRESYNC is enabled, RFC 7162 3.2.4).
    """

    seq: int
    uid: int | None
    flags: frozenset[str] | None
    modseq: int | None = None


MailboxEvent: TypeAlias = Exists | Expunge | Vanished | FlagUpdate


def uid_set_of(value: Value) -> UidSet:
    """A UID set as a server writes it: an atom ``1:5,7`` or, for a single UID, a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return UidSet.of([value])
    if isinstance(value, bytes):
        return UidSet.parse(value)
    raise ValueError(f"not a UID set: {value!r}")


def vanished(response: UntaggedResponse) -> Vanished:
    data = response.data
    earlier = bool(data) and isinstance(data[0], tuple)
    if earlier:
        tags = data[0]
        assert isinstance(tags, tuple)
        earlier = any(isinstance(t, Atom) and t.upper() == b"EARLIER" for t in tags)
        data = data[1:]
    if len(data) != 1:
        raise ValueError("VANISHED without exactly one UID set")
    return Vanished(uid_set_of(data[0]), earlier)


def to_event(response: UntaggedResponse) -> MailboxEvent | None:
    """The event an untagged response stands for, or None for anything else (alerts, ``* OK Still here``).

    FETCH literals that nobody asked for are deleted here: an event carries no message content.
    """
    name, number = response.name, response.number
    if name == "EXISTS" and number is not None:
        return Exists(number)
    if name == "EXPUNGE" and number is not None:
        return Expunge(number)
    if name == "VANISHED":
        return vanished(response)
    if name == "FETCH" and number is not None:
        pairs = fetch_items(response)
        uid = pairs.get("UID")
        flags = pairs.get("FLAGS")
        modseq = pairs.get("MODSEQ")
        discard_literals(pairs.values())
        return FlagUpdate(
            seq=number,
            uid=None if uid is None else as_int(uid, "UID"),
            flags=None if flags is None else flags_of(flags),
            modseq=_modseq(modseq),
        )
    if response.is_status and response.name in ("NO", "BAD"):
        log.warning("imap server warning: %s %s", response.name, response.text[:200])
    return None


def _modseq(value: Value) -> int | None:
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return as_int(value, "MODSEQ")
