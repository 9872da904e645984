"""LIST and STATUS: which folders exist, what they are for, and how many messages each holds.

The sync engine walks every folder and needs, per folder, the identity facts (UIDVALIDITY, MAILBOXID) and the
cheap change detectors (UIDNEXT, HIGHESTMODSEQ, MESSAGES) before deciding whether to open it at all. How they
are asked follows the server:

* LIST-EXTENDED + LIST-STATUS (RFC 5258, 5819): one ``LIST "" "*" RETURN (SPECIAL-USE STATUS (...))``.
  A mailbox with 3,000 folders costs one round trip instead of 3,001.
* otherwise LIST, then STATUS for every selectable folder, pipelined (16 in flight), which hides most of the
  round trips anyway.

Names: the server's bytes (``raw``) address the folder in every later command, because decoding and
re-encoding could change them (a server that sends raw UTF-8 against RFC 3501); ``name`` is for people.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailwarden.core.errors import InputError
from mailwarden.imap import utf7
from mailwarden.imap.commands import Argument, Raw
from mailwarden.imap.connection import Issued
from mailwarden.imap.errors import IMAPError
from mailwarden.imap.items import as_int, as_text, decode_name
from mailwarden.imap.responses import UntaggedResponse, Value
from mailwarden.imap.session import Session

__all__ = ["SPECIAL_USES", "Folder", "FolderStatus", "create", "folder_argument", "list_folders", "status"]

#: RFC 6154 special-use attributes (plus \Important from RFC 8457), in their canonical spelling
SPECIAL_USES = ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash", "\\Important")
_ATTRIBUTES = {
    name.lower(): name
    for name in (
        *SPECIAL_USES,
        "\\Noselect",
        "\\NonExistent",
        "\\Noinferiors",
        "\\HasChildren",
        "\\HasNoChildren",
        "\\Marked",
        "\\Unmarked",
        "\\Subscribed",
        "\\Remote",
    )
}
#: STATUS item -> the capability it needs (None: always)
_STATUS_ITEMS: dict[str, str | None] = {
    "MESSAGES": None,
    "UIDNEXT": None,
    "UIDVALIDITY": None,
    "UNSEEN": None,
    "HIGHESTMODSEQ": "CONDSTORE",
    "MAILBOXID": "OBJECTID",
    "SIZE": "STATUS=SIZE",
}
_DEFAULT_STATUS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", "MAILBOXID")
_STATUS_DEPTH = 16


@dataclass(frozen=True, slots=True)
class FolderStatus:
    """STATUS items; a field is None when not asked for or not offered by the server."""

    messages: int | None = None
    uidnext: int | None = None
    uidvalidity: int | None = None
    unseen: int | None = None
    highest_modseq: int | None = None
    mailbox_id: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Folder:
    """One LIST entry. ``attributes`` holds every attribute, known ones in canonical spelling."""

    name: str
    raw: bytes
    delimiter: str | None
    attributes: frozenset[str]
    status: FolderStatus | None = None

    @property
    def selectable(self) -> bool:
        return not self.attributes & {"\\Noselect", "\\NonExistent"}

    @property
    def special_use(self) -> str | None:
        """``\\Sent``, ``\\Trash``, ... (the first, in :data:`SPECIAL_USES` order, if a server gives two)."""
        return next((use for use in SPECIAL_USES if use in self.attributes), None)

    @property
    def parts(self) -> tuple[str, ...]:
        """The hierarchy: ``客户/重要`` with delimiter ``/`` is ``("客户", "重要")``."""
        return tuple(self.name.split(self.delimiter)) if self.delimiter else (self.name,)


def folder_argument(folder: str | Folder) -> bytes:
    """How to name ``folder`` in a command: the server's own bytes if we have them, else modified UTF-7."""
    return folder.raw if isinstance(folder, Folder) else utf7.encode(folder)


def status_items(session: Session, items: Iterable[str] | None) -> list[str]:
    """The items to ask for: the given ones (or the useful default), minus what the server lacks."""
    wanted = [item.upper() for item in (items if items is not None else _DEFAULT_STATUS)]
    unknown = [item for item in wanted if item not in _STATUS_ITEMS]
    if unknown:
        raise InputError("imap.argument", detail=f"unknown STATUS items: {', '.join(unknown)}")
    return [item for item in wanted if (needs := _STATUS_ITEMS[item]) is None or session.offers(needs)]


async def status(session: Session, folder: str | Folder, items: Iterable[str] | None = None) -> FolderStatus:
    """STATUS of one folder (do not use it on the folder EXAMINE opened; its answer there may be stale)."""
    session.ready("STATUS")
    asked = status_items(session, items)
    raw = folder_argument(folder)
    result = await session.connection.execute(
        "STATUS", raw, [Raw(item.encode()) for item in asked], wants=("STATUS",)
    )
    found = _statuses(session, result.untagged)
    if len(found) != 1:  # a broken answer must not look like an empty folder
        session.bad_data("STATUS", f"{len(found)} STATUS responses for one folder")
    return next(iter(found.values()))


async def create(session: Session, name: str) -> bool:
    """CREATE ``name`` (modified UTF-7 on the wire). True if created, False if it existed already.

    "Already there" is recognised by RFC 5530's ``[ALREADYEXISTS]``; a server without response codes is
    asked with LIST, because a refusal for another reason (no permission, a bad name) must still fail.
    """
    session.ready("CREATE")
    try:
        await session.connection.execute("CREATE", utf7.encode(name))
    except IMAPError as exc:
        if exc.status != "NO":
            raise
        if exc.code == "ALREADYEXISTS":
            return False
        if exc.code is None and any(
            f.name == name for f in await list_folders(session, pattern=name, with_status=False)
        ):
            return False
        raise
    return True


async def list_folders(
    session: Session,
    *,
    pattern: str = "*",
    reference: str = "",
    with_status: bool = True,
    status_of: Iterable[str] | None = None,
) -> list[Folder]:
    """Every folder matching ``pattern``, with special-use attributes and (``with_status``) STATUS."""
    session.ready("LIST")
    asked = status_items(session, status_of) if with_status else []
    returns: list[Argument] = []
    if session.offers("LIST-EXTENDED"):
        if session.offers("SPECIAL-USE"):
            returns.append(Raw(b"SPECIAL-USE"))
        if asked and session.offers("LIST-STATUS"):
            returns += [Raw(b"STATUS"), [Raw(item.encode()) for item in asked]]
    args: list[Argument] = [utf7.encode(reference), utf7.encode(pattern)]
    if returns:
        args += [Raw(b"RETURN"), returns]
    result = await session.connection.execute("LIST", *args, wants=("LIST", "STATUS"))
    lists = [r for r in result.untagged if r.name == "LIST"]
    statuses = _statuses(session, (r for r in result.untagged if r.name == "STATUS"))
    folders = [_folder(session, response) for response in lists]
    if asked and not statuses:
        statuses = await _status_each(session, [f.raw for f in folders if f.selectable], asked)
    if not asked:
        return folders
    return [_with_status(f, statuses.get(_key(f.raw))) for f in folders]


async def _status_each(
    session: Session, names: Sequence[bytes], asked: list[str]
) -> dict[bytes, FolderStatus]:
    """STATUS for each name, pipelined; a folder the server refuses (NO) simply has no status."""
    connection = session.connection
    items: list[Argument] = [Raw(item.encode()) for item in asked]
    inflight: deque[Issued] = deque()
    collected: list[UntaggedResponse] = []
    todo = deque(names)
    while todo or inflight:
        while todo and len(inflight) < _STATUS_DEPTH:
            inflight.append(await connection.send("STATUS", todo.popleft(), items, wants=("STATUS",)))
        try:
            collected += (await inflight.popleft().result()).untagged
        except IMAPError as exc:
            if exc.status != "NO":  # BAD is our mistake, BYE the connection's end: not "no status"
                raise
    return _statuses(session, collected)


def _with_status(folder: Folder, found: FolderStatus | None) -> Folder:
    return Folder(folder.name, folder.raw, folder.delimiter, folder.attributes, found)


def _key(raw: bytes) -> bytes:
    return b"INBOX" if raw.upper() == b"INBOX" else raw


def _folder(session: Session, response: UntaggedResponse) -> Folder:
    try:
        attributes, delimiter, raw = response.data[:3]
        if not isinstance(attributes, tuple) or not isinstance(raw, bytes):
            raise ValueError("LIST is not (attributes) delimiter name")
        names = frozenset(as_text(a, "a LIST attribute") for a in attributes)
        canonical = frozenset(_ATTRIBUTES.get(a.lower(), a) for a in names)
        return Folder(
            name=decode_name(bytes(raw)),
            raw=bytes(raw),
            delimiter=None if delimiter is None else as_text(delimiter, "the delimiter"),
            attributes=canonical,
        )
    except ValueError as exc:
        session.bad_data("LIST", exc)


def _statuses(session: Session, responses: Iterable[UntaggedResponse]) -> dict[bytes, FolderStatus]:
    found: dict[bytes, FolderStatus] = {}
    for response in responses:
        try:
            name, items = response.data[:2]
            if not isinstance(name, bytes) or not isinstance(items, tuple) or len(items) % 2:
                raise ValueError("STATUS is not name (item value ...)")
            found[_key(bytes(name))] = _folder_status(items)
        except ValueError as exc:
            session.bad_data("STATUS", exc)
    return found


def _folder_status(items: tuple[Value, ...]) -> FolderStatus:
    numbers: dict[str, int] = {}
    mailbox_id: str | None = None
    for key, value in zip(items[::2], items[1::2], strict=True):
        name = as_text(key, "a STATUS item").upper()
        if name == "MAILBOXID":  # RFC 8474: MAILBOXID (F2212ea87-6097-4256-9d51-71338625)
            inner = value[0] if isinstance(value, tuple) and len(value) == 1 else value
            mailbox_id = as_text(inner, "MAILBOXID")
        elif name in _STATUS_ITEMS:
            numbers[name] = as_int(value, name)
    return FolderStatus(
        messages=numbers.get("MESSAGES"),
        uidnext=numbers.get("UIDNEXT"),
        uidvalidity=numbers.get("UIDVALIDITY"),
        unseen=numbers.get("UNSEEN"),
        highest_modseq=numbers.get("HIGHESTMODSEQ"),
        mailbox_id=mailbox_id,
        size=numbers.get("SIZE"),
    )
