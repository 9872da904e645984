"""Our own asyncio IMAP4rev1 client (see docs in ARCHITECTURE.md: why not aioimaplib or IMAPClient).

Layers, bottom up: :mod:`.parser` (bytes to typed responses, streaming, no recursion), :mod:`.commands`
(arguments to bytes), :mod:`.connection` (socket, TLS, COMPRESS, tags, pipelining, routing, timeouts),
:mod:`.auth` (SASL), then the commands as plain functions over a :class:`~.session.Session` --
:mod:`.folders` (LIST, STATUS), :mod:`.account` (NAMESPACE, QUOTA, ENABLE, COMPRESS), :mod:`.mailbox`
(EXAMINE, UID SEARCH, flag resync), :mod:`.fetch` (pipelined UID FETCH), :mod:`.idle`, :mod:`.append` -- and
:mod:`.client` (what the rest of mailwarden calls). Value helpers: :mod:`.uidset`, :mod:`.utf7`,
:mod:`.items`, :mod:`.events`.
"""

from mailwarden.imap.account import Namespace, Namespaces, Quota, QuotaResource
from mailwarden.imap.append import AppendUID
from mailwarden.imap.client import IMAPClient, State, TLSMode, default_port
from mailwarden.imap.commands import Argument, AsLiteral, Raw
from mailwarden.imap.connection import CommandResult, IMAPConnection, Issued
from mailwarden.imap.errors import IMAPAuthError, IMAPError, IMAPParseError
from mailwarden.imap.events import Exists, Expunge, FlagUpdate, MailboxEvent, Vanished
from mailwarden.imap.folders import SPECIAL_USES, Folder, FolderStatus
from mailwarden.imap.idle import IdleSession
from mailwarden.imap.items import FetchResult
from mailwarden.imap.literals import BytesLiteral, FileLiteral, Literal
from mailwarden.imap.mailbox import FlagChanges, QResync
from mailwarden.imap.parser import ParserLimits, ResponseParser
from mailwarden.imap.responses import (
    Atom,
    ContinuationRequest,
    Response,
    ResponseCode,
    TaggedResponse,
    UntaggedResponse,
    Value,
)
from mailwarden.imap.selected import SelectedFolder
from mailwarden.imap.streams import ResponseStream
from mailwarden.imap.uidset import UidSet

__all__ = [
    "SPECIAL_USES",
    "AppendUID",
    "Argument",
    "AsLiteral",
    "Atom",
    "BytesLiteral",
    "CommandResult",
    "ContinuationRequest",
    "Exists",
    "Expunge",
    "FetchResult",
    "FileLiteral",
    "FlagChanges",
    "FlagUpdate",
    "Folder",
    "FolderStatus",
    "IMAPAuthError",
    "IMAPClient",
    "IMAPConnection",
    "IMAPError",
    "IMAPParseError",
    "IdleSession",
    "Issued",
    "Literal",
    "MailboxEvent",
    "Namespace",
    "Namespaces",
    "ParserLimits",
    "QResync",
    "Quota",
    "QuotaResource",
    "Raw",
    "Response",
    "ResponseCode",
    "ResponseParser",
    "ResponseStream",
    "SelectedFolder",
    "State",
    "TLSMode",
    "TaggedResponse",
    "UidSet",
    "UntaggedResponse",
    "Value",
    "Vanished",
    "default_port",
]
