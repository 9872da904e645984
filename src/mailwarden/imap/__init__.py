"""Our own asyncio IMAP4rev1 client (see docs in ARCHITECTURE.md: why not aioimaplib or IMAPClient).

Layers, bottom up: :mod:`.parser` (bytes to typed responses, streaming, no recursion), :mod:`.commands`
(arguments to bytes), :mod:`.connection` (socket, TLS, tags, routing, timeouts), :mod:`.auth` (SASL),
:mod:`.client` (what the rest of mailwarden calls).
"""

from mailwarden.imap.client import IMAPClient, State, TLSMode, default_port
from mailwarden.imap.commands import Argument, Raw
from mailwarden.imap.connection import CommandResult, IMAPConnection
from mailwarden.imap.errors import IMAPAuthError, IMAPError, IMAPParseError
from mailwarden.imap.literals import BytesLiteral, FileLiteral, Literal
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
from mailwarden.imap.streams import ResponseStream

__all__ = [
    "Argument",
    "Atom",
    "BytesLiteral",
    "CommandResult",
    "ContinuationRequest",
    "FileLiteral",
    "IMAPAuthError",
    "IMAPClient",
    "IMAPConnection",
    "IMAPError",
    "IMAPParseError",
    "Literal",
    "ParserLimits",
    "Raw",
    "Response",
    "ResponseCode",
    "ResponseParser",
    "ResponseStream",
    "State",
    "TLSMode",
    "TaggedResponse",
    "UntaggedResponse",
    "Value",
    "default_port",
]
