"""From parsed values to typed results: FETCH items, flags, dates, mailbox names, small value checks.

Plain functions without a socket (STYLE habit 4). They raise ``ValueError`` when the server sent something
of the wrong shape; the commands turn that into ``IMAPError("imap.protocol")`` with host and port, because a
server that answers STATUS with a word where a number belongs is broken, not empty.

FETCH items are matched by name, never by position: servers may send them in any order, split one message's
items over several responses, or (RFC 3501 7.4.2) add FLAGS nobody asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from mailwarden.imap import utf7
from mailwarden.imap.literals import BytesLiteral, FileLiteral, Literal
from mailwarden.imap.responses import Atom, UntaggedResponse, Value

__all__ = [
    "FetchResult",
    "as_int",
    "as_text",
    "decode_name",
    "discard_literals",
    "fetch_items",
    "fetch_result",
    "flags_of",
    "format_internal_date",
    "is_content_key",
    "parse_internal_date",
    "response_key",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.upper(): index for index, name in enumerate(_MONTHS, 1)}
_DATE_TIME = re.compile(r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})", re.ASCII)
#: Small memos for what every FETCH of a pass repeats: item names, flag lists, time zones. Bounded, because
#: the server chooses the keys; past the bound the values are computed as before, just not kept.
_MEMO_SIZE = 1024
_ITEM_KEYS: dict[bytes, str] = {}
_FLAG_SETS: dict[tuple[Value, ...], frozenset[str]] = {}
_ZONES: dict[str, timezone] = {}
#: system flags are case-insensitive (RFC 3501 2.3.2); one spelling keeps sets comparable
_SYSTEM_FLAGS = {
    flag.lower(): flag for flag in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent")
}
_PARTIAL = re.compile(r"<\d+(?:\.\d+)?>$")
#: the items a server also sends on its own when flags change (RFC 3501 7.4.2, RFC 7162 3.2.4)
_CHANGE_KEYS = frozenset({"UID", "FLAGS", "MODSEQ"})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One message from a UID FETCH. Fields are None when not asked for (or the server has no such item).

    ``body`` is ``BODY[]`` as the parser stored it: a :class:`~.literals.FileLiteral` (spooled, hashed while
    written) above the spill threshold, a :class:`~.literals.BytesLiteral` below. **The receiver owns it**:
    move the file into the archive, or call :meth:`discard`. ``items`` holds every other item by upper-case
    name (``BODY[HEADER.FIELDS (FROM)]``, ``X-GM-LABELS``) as parsed.
    """

    uid: int
    seq: int
    flags: frozenset[str] | None = None
    internal_date: datetime | None = None
    size: int | None = None
    modseq: int | None = None
    email_id: str | None = None
    thread_id: str | None = None
    body: Literal | None = None
    items: Mapping[str, Value] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete every spool file this result holds (the body, and any literal among ``items``)."""
        discard_literals([self.body, *self.items.values()])


def discard_literals(values: Iterable[Value | Literal]) -> None:
    """Delete the spool files of every literal in ``values``, however deeply nested."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, FileLiteral):
            value.discard()
        elif isinstance(value, tuple):
            stack.extend(value)


def response_key(item: str) -> str:
    """The name a requested item comes back under: ``BODY.PEEK[]<0.100>`` -> ``BODY[]``."""
    key = item.upper().replace(".PEEK", "", 1)
    return _PARTIAL.sub("", key)


def is_content_key(key: str) -> bool:
    """True for items a server never sends unasked: seeing one means the FETCH answers our command."""
    return key not in _CHANGE_KEYS


def fetch_items(response: UntaggedResponse) -> dict[str, Value]:
    """The ``name value`` pairs of one FETCH response, by upper-case name."""
    data = response.data[0] if len(response.data) == 1 else None
    if not isinstance(data, tuple) or len(data) % 2:
        raise ValueError("a FETCH response is not a list of name-value pairs")
    pairs: dict[str, Value] = {}
    names = iter(data)
    for key, value in zip(names, names, strict=True):  # one iterator, even length: pairs
        if not isinstance(key, Atom):
            raise ValueError(f"a FETCH item name is not an atom: {key!r}")
        name = _ITEM_KEYS.get(key)
        if name is None:
            name = _PARTIAL.sub("", key.decode("ascii", "replace").upper())
            if len(_ITEM_KEYS) < _MEMO_SIZE:
                _ITEM_KEYS[bytes(key)] = name
        pairs[name] = value
    return pairs


def fetch_result(seq: int, pairs: Mapping[str, Value]) -> FetchResult:
    """Typed fields from merged FETCH pairs (which must include UID)."""
    rest = dict(pairs)
    uid = as_int(rest.pop("UID", None), "UID")
    flags = rest.pop("FLAGS", None)
    internal = rest.pop("INTERNALDATE", None)
    size = rest.pop("RFC822.SIZE", None)
    modseq = rest.pop("MODSEQ", None)
    email_id = rest.pop("EMAILID", None)
    thread_id = rest.pop("THREADID", None)
    body = rest.pop("BODY[]", None)
    return FetchResult(
        uid=uid,
        seq=seq,
        flags=None if flags is None else flags_of(flags),
        internal_date=None if internal is None else parse_internal_date(as_text(internal, "INTERNALDATE")),
        size=None if size is None else as_int(size, "RFC822.SIZE"),
        modseq=None if modseq is None else _one_number(modseq, "MODSEQ"),
        email_id=_object_id(email_id, "EMAILID"),
        thread_id=_object_id(thread_id, "THREADID"),
        body=_literal(body),
        items=rest,
    )


def _one_number(value: Value, what: str) -> int:
    """``MODSEQ (12345)``: a number in a list of one."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return as_int(value, what)


def _object_id(value: Value, what: str) -> str | None:
    """RFC 8474 ``EMAILID (M6d99ac3275bb4e)``; THREADID may be NIL."""
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    return as_text(value, what)


def _literal(value: Value) -> Literal | None:
    if value is None or isinstance(value, (FileLiteral, BytesLiteral)):
        return value
    if isinstance(value, bytes):  # a small body may come as a quoted string
        return BytesLiteral(value)
    raise ValueError(f"BODY[] is not a string: {value!r}")


def as_int(value: Value, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{what} is not a number: {value!r}")


def as_text(value: Value, what: str) -> str:
    """An atom or string as text (UTF-8, undecodable bytes kept as surrogates, so nothing is lost)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value).decode("utf-8", "surrogateescape")
    raise ValueError(f"{what} is not text: {value!r}")


def flags_of(value: Value) -> frozenset[str]:
    """``(\\Seen $Forwarded)`` as a set, system flags in their canonical spelling, without ``\\Recent``.

    ``\\Recent`` belongs to a session, not to the message (the first session to see a message gets it, RFC
    3501 2.3.2; IMAP4rev2 dropped it): kept, it would make archived flags flap from one sync to the next.
    """
    if not isinstance(value, tuple):
        raise ValueError(f"flags are not a list: {value!r}")
    known = _FLAG_SETS.get(value)
    if known is not None:
        return known
    flags = (as_text(flag, "a flag") for flag in value)
    result = frozenset(_SYSTEM_FLAGS.get(flag.lower(), flag) for flag in flags) - {"\\Recent"}
    # Only lists of strings are kept: (1,) and (True,) are equal keys, but only the first is a valid list.
    if len(_FLAG_SETS) < _MEMO_SIZE and all(type(flag) in (Atom, bytes) for flag in value):
        _FLAG_SETS[value] = result
    return result


def parse_internal_date(text: str) -> datetime:
    """``17-Jul-1996 02:44:25 -0700`` (RFC 3501 date-time) as an aware datetime."""
    m = _DATE_TIME.fullmatch(text)
    month = _MONTH_NUMBER.get(m[2].upper()) if m else None
    if m is None or month is None:
        raise ValueError(f"not an IMAP date-time: {text!r}")
    day, _, year, hour, minute, second, zone = m.groups()
    tz = _ZONES.get(zone)
    if tz is None:
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        tz = timezone(-offset if zone[0] == "-" else offset)
        if len(_ZONES) < _MEMO_SIZE:
            _ZONES[zone] = tz
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=tz)


def format_internal_date(moment: datetime) -> str:
    """The RFC 3501 date-time for APPEND; the zone is the datetime's own (it must have one)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("an IMAP date-time needs a time zone; give an aware datetime")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    month = _MONTHS[moment.month - 1]
    return f"{moment.day:02d}-{month}-{moment.year:04d} {moment:%H:%M:%S} {zone}"


def decode_name(raw: bytes) -> str:
    """A mailbox name for people: modified UTF-7, or (from servers that ignore RFC 3501) raw UTF-8."""
    if raw.upper() == b"INBOX":
        return "INBOX"  # case-insensitive by RFC 3501 5.1
    try:
        return utf7.decode(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
