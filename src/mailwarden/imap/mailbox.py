"""Opening a folder read-only and asking about its messages: EXAMINE, UID SEARCH, the flags-only resync.

**Never SELECT in a sync path.** SELECT opens a folder read-write: a later FETCH of ``BODY[]`` (a typo away
from ``BODY.PEEK[]``) would mark every archived message as read for the whole team, and a CLOSE would
expunge ``\\Deleted`` messages someone meant to recover. EXAMINE makes the server refuse both. The archive
never writes to the source mailbox, so this module has no SELECT at all.

The resync is RFC 7162's: with CONDSTORE, ``UID FETCH 1:* (FLAGS) (CHANGEDSINCE m)`` returns only messages
changed since mod-sequence m; with QRESYNC also ``VANISHED (EARLIER)`` for the UIDs expunged since, so a
folder of 100,000 messages is resynchronised by the few lines that changed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from mailwarden.core.errors import InputError
from mailwarden.imap.account import enable
from mailwarden.imap.commands import Argument, Raw
from mailwarden.imap.connection import Issued
from mailwarden.imap.events import FlagUpdate, to_event, uid_set_of, vanished
from mailwarden.imap.folders import Folder, folder_argument
from mailwarden.imap.items import as_text, decode_name
from mailwarden.imap.responses import Atom, UntaggedResponse
from mailwarden.imap.selected import SelectedFolder, parse_select
from mailwarden.imap.session import Session
from mailwarden.imap.uidset import UidSet

__all__ = ["Criteria", "FlagChanges", "QResync", "examine", "uid_fetch_flags", "uid_search"]

#: (UIDVALIDITY, HIGHESTMODSEQ, known UIDs or None) remembered from the last sync of the folder
QResync = tuple[int, int, UidSet | None]
Criteria = str | Sequence[Argument]
_EXAMINE_WANTS = ("FLAGS", "EXISTS", "RECENT", "OK", "NO", "VANISHED", "FETCH")
#: flags-only FETCH commands in flight; each carries at most this many ranges (a short command line)
_FLAGS_DEPTH, _FLAGS_RANGES = 4, 500
#: what may come with a flags FETCH; whatever is not an answer is parked in the server's order
_FLAGS_WANTS = ("FETCH", "VANISHED", "EXISTS", "EXPUNGE", "RECENT")


@dataclass(frozen=True, slots=True)
class FlagChanges:
    """What changed since a mod-sequence: flags by UID (ascending) and the UIDs that vanished."""

    updates: tuple[FlagUpdate, ...]
    vanished: UidSet = field(default_factory=UidSet)

    @property
    def highest_modseq(self) -> int | None:
        return max((u.modseq for u in self.updates if u.modseq is not None), default=None)


async def examine(
    session: Session, folder: str | Folder, *, qresync: QResync | None = None
) -> SelectedFolder:
    """EXAMINE ``folder`` (read-only). With ``qresync``, also what vanished and changed since then.

    QRESYNC is enabled on the way if the server offers it; without it, ``qresync`` is an error (the caller
    must fall back to comparing UID lists). Any folder open before is closed by this, even if it fails.
    """
    session.ready("EXAMINE")
    raw = folder_argument(folder)
    params: list[Argument] = []
    if qresync is not None:
        session.require("QRESYNC", "EXAMINE")
        uidvalidity, modseq, known = qresync
        if uidvalidity < 1 or modseq < 1:
            raise InputError("imap.argument", detail="QRESYNC needs a UIDVALIDITY and a mod-sequence above 0")
        await enable(session, "QRESYNC")
        inner: list[Argument] = [uidvalidity, modseq]
        if known:
            inner.append(Raw(bytes(known)))
        params = [[Raw(b"QRESYNC"), inner]]
    elif session.offers("CONDSTORE") and "CONDSTORE" not in session.enabled:
        params = [[Raw(b"CONDSTORE")]]  # RFC 7162 3.1.8: HIGHESTMODSEQ in the answer, CONDSTORE enabled
    session.selected = None
    result = await session.connection.execute("EXAMINE", raw, *params, wants=_EXAMINE_WANTS)
    if params and qresync is None:
        session.enabled |= {"CONDSTORE"}
    try:
        selected = parse_select(decode_name(raw), raw, result.untagged, result.tagged)
    except ValueError as exc:
        session.bad_data("EXAMINE", exc)
    session.selected = selected
    return selected


async def uid_search(session: Session, criteria: Criteria = "ALL") -> UidSet:
    """UID SEARCH; with ESEARCH (RFC 4731) the answer is already a compact set, whatever its size.

    ``criteria`` is ASCII search keys as a string (``"ALL"``, ``"UID 1000:*"``, ``"MODSEQ 4711"``,
    ``"SINCE 1-Feb-2026"``) or a sequence of arguments (use that for strings that need quoting).
    """
    session.ready("UID SEARCH", selected=True)
    if isinstance(criteria, str):
        if not criteria.isascii() or not criteria.strip():
            raise InputError("imap.argument", detail="search criteria as a string must be non-empty ASCII")
        args: list[Argument] = [Raw(criteria.encode("ascii"))]
    else:
        args = list(criteria)
    connection = session.connection
    if session.offers("ESEARCH"):
        result = await connection.execute(
            "UID SEARCH", Raw(b"RETURN"), [Raw(b"ALL")], *args, wants=("ESEARCH",)
        )
        try:
            return _esearch(result.untagged)
        except ValueError as exc:
            session.bad_data("UID SEARCH", exc)
    result = await connection.execute("UID SEARCH", *args, wants=("SEARCH",))
    uids = [v for r in result.untagged for v in r.data if isinstance(v, int) and not isinstance(v, bool)]
    return UidSet.of(uids)  # a trailing "(MODSEQ n)" (RFC 7162) is a list, and skipped


def _esearch(responses: Sequence[UntaggedResponse]) -> UidSet:
    found = UidSet()
    for response in responses:
        data = list(response.data)
        if data and isinstance(data[0], tuple):
            data = data[1:]  # (TAG "A0008"): the router already matched it to our command
        if data and isinstance(data[0], Atom) and data[0].upper() == b"UID":
            data = data[1:]
        for key, value in zip(data[::2], data[1::2], strict=False):
            if as_text(key, "an ESEARCH item").upper() == "ALL":
                found = found | uid_set_of(value)
    return found


async def uid_fetch_flags(session: Session, uids: UidSet, *, changedsince: int | None = None) -> FlagChanges:
    """Flags (and mod-sequences) of ``uids``; with ``changedsince``, only of messages changed since then.

    CHANGEDSINCE needs CONDSTORE; without it every flag is returned (a superset, still correct). With
    QRESYNC enabled the answer also lists the UIDs that vanished since ``changedsince``. Sparse sets are
    split into several commands, pipelined, so no command line grows past what servers accept.
    """
    session.ready("UID FETCH", selected=True)
    condstore = session.offers("CONDSTORE")
    items: list[Argument] = [Raw(b"UID"), Raw(b"FLAGS")]
    if condstore:
        items.append(Raw(b"MODSEQ"))
    modifiers: list[Argument] = []
    if changedsince is not None and condstore:
        modifier: list[Argument] = [Raw(b"CHANGEDSINCE"), changedsince]
        if "QRESYNC" in session.enabled:
            modifier.append(Raw(b"VANISHED"))
        modifiers = [modifier]
    pieces = deque([uids] if uids.is_open else uids.chunks(1 << 32, max_ranges=_FLAGS_RANGES))
    inflight: deque[Issued] = deque()
    responses: list[UntaggedResponse] = []
    connection = session.connection
    while pieces or inflight:
        while pieces and len(inflight) < _FLAGS_DEPTH:
            piece = Raw(bytes(pieces.popleft()))
            inflight.append(await connection.send("UID FETCH", piece, items, *modifiers, wants=_FLAGS_WANTS))
        responses += (await inflight.popleft().result()).untagged
    return _flag_changes(session, responses)


def _flag_changes(session: Session, responses: list[UntaggedResponse]) -> FlagChanges:
    latest: dict[int, FlagUpdate] = {}
    gone = UidSet()
    try:
        for response in responses:
            if response.name == "VANISHED":
                gone = gone | vanished(response).uids
                continue
            event = to_event(response)
            if not isinstance(event, FlagUpdate) or event.uid is None:
                session.park(response)  # EXISTS, EXPUNGE, or a FETCH without UID (nothing to place it by)
                continue
            known = latest.get(event.uid)
            if known is None or (event.modseq or 0) >= (known.modseq or 0):
                latest[event.uid] = event
    except ValueError as exc:
        session.bad_data("UID FETCH", exc)
    return FlagChanges(tuple(latest[uid] for uid in sorted(latest) if uid not in gone), gone)
