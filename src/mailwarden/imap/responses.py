"""What the parser produces: three kinds of response, and the values inside them.

Values keep the distinctions IMAP makes, because later layers need them (an atom ``NIL`` is nothing, a quoted
``"NIL"`` is a three-letter string; a mailbox name may come as any of atom, quoted string or literal):

=================  =====================================================
IMAP               Python
=================  =====================================================
number             ``int``
NIL                ``None``
atom               :class:`Atom` (a ``bytes``; ``\\Seen``, ``BODY[]``)
quoted string      ``bytes`` (escapes removed, 8-bit bytes kept)
literal            :class:`~.literals.BytesLiteral` (a ``bytes``) or
                   :class:`~.literals.FileLiteral` (spooled to disk)
parenthesised list ``tuple`` of values
=================  =====================================================

Everything is ``bytes`` rather than ``str`` because IMAP is bytes: 8-bit header fields in ENVELOPE, modified
UTF-7 mailbox names and message bodies must reach the archive exactly as the server sent them. Only the names
the client dispatches on (``status``, ``name``, code names) and human ``text`` are ``str``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from mailwarden.imap.literals import FileLiteral

__all__ = [
    "Atom",
    "ContinuationRequest",
    "Response",
    "ResponseCode",
    "TaggedResponse",
    "UntaggedResponse",
    "Value",
]


class Atom(bytes):
    """An IMAP atom, told apart from a quoted string of the same bytes by its type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({bytes.__repr__(self)})"


Value: TypeAlias = "int | bytes | FileLiteral | tuple[Value, ...] | None"

#: the untagged responses that carry a status and human text rather than data
STATUS_NAMES = frozenset({"OK", "NO", "BAD", "BYE", "PREAUTH"})


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """``[NAME args]`` at the start of a status text, e.g. ``[UIDVALIDITY 3]``, ``[AUTHENTICATIONFAILED]``.

    ``args`` holds the parsed arguments (``(3,)``, ``(Atom(b'IMAP4rev1'), ...)``); arguments that are not
    valid IMAP data (some codes take free text) come as one :class:`Atom` holding the raw bytes.
    """

    name: str
    args: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class TaggedResponse:
    """``A0001 OK [code] text``: the completion of the command with that tag."""

    tag: str
    status: Literal["OK", "NO", "BAD"]
    code: ResponseCode | None
    text: str


@dataclass(frozen=True, slots=True)
class UntaggedResponse:
    """Everything after ``*``.

    Status responses (``name`` in OK/NO/BAD/BYE/PREAUTH) have ``code`` and ``text`` and empty ``data``. Data
    responses have ``data``: ``* 12 EXISTS`` is ``name="EXISTS", number=12``; ``* 3 FETCH (UID 9 ...)`` is
    ``name="FETCH", number=3, data=((Atom(b'UID'), 9, ...),)``; ``* CAPABILITY IMAP4rev1 ...`` is
    ``name="CAPABILITY", data=(Atom(b'IMAP4rev1'), ...)``.
    """

    name: str
    number: int | None = None
    data: tuple[Value, ...] = ()
    code: ResponseCode | None = None
    text: str = ""

    @property
    def is_status(self) -> bool:
        return self.name in STATUS_NAMES


@dataclass(frozen=True, slots=True)
class ContinuationRequest:
    """``+ text``: the server waits for a literal, a SASL response, or (IDLE) for DONE.

    ``data`` is the raw text after ``+ ``: a base64 SASL challenge, or words such as ``idling``.
    """

    data: bytes


Response: TypeAlias = TaggedResponse | UntaggedResponse | ContinuationRequest
