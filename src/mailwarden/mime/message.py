"""What :func:`parse_message` returns: plain dataclasses, no ``email.message`` objects.

Nothing here holds the raw message or a decoded attachment: an archived message is stored as raw bytes
once, and these values are the searchable, displayable view of it. Attachments carry a ``part_path`` and a
SHA-256 instead of their bytes; ``extract_part`` gets the bytes when someone asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mailwarden.mime.addresses import Address
from mailwarden.mime.defects import Defect

__all__ = ["Attachment", "AutoReplySignals", "ParsedMessage"]

#: Precedence values that mean "a machine sent this to many" (RFC 3834 section 3.1.8 and common practice)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
#: multipart/report types sent by machines: bounces (RFC 3464) and read receipts (RFC 8098)
_MACHINE_REPORTS = frozenset({"delivery-status", "disposition-notification"})


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part that is not the message text: a file, an inline image, an attached message, a DSN block."""

    part_path: str  # IMAP section number: extract_part(raw, part_path) returns the bytes
    filename: str | None  # decoded (RFC 2231, RFC 2047, raw 8-bit), exactly as sent otherwise: not sanitised
    content_type: str  # lower case, "application/pdf"
    disposition: str | None  # "attachment", "inline", or None when there is no Content-Disposition
    content_id: str | None  # without angle brackets, for cid: references from the HTML
    size: int  # bytes after Content-Transfer-Encoding decoding
    sha256: str  # hex, of the same decoded bytes


@dataclass(frozen=True, slots=True)
class AutoReplySignals:
    """Raw facts that a machine, not a person, sent the message; deciding what to do is the caller's job.

    Each field is the header value as sent (decoded, stripped), or None when absent. ``report_type`` is the
    ``report-type`` of a multipart/report (``delivery-status`` for bounces), or ``delivery-status`` when a
    message/delivery-status part appears anywhere. ``null_return_path`` is ``Return-Path: <>``, the envelope
    sender of bounces and auto-replies.
    """

    auto_submitted: str | None = None
    x_autoreply: str | None = None
    x_autorespond: str | None = None
    precedence: str | None = None
    list_id: str | None = None
    x_auto_response_suppress: str | None = None
    report_type: str | None = None
    null_return_path: bool = False

    @property
    def present(self) -> bool:
        """Whether any signal says "machine-sent" (``X-Auto-Response-Suppress`` alone does not: Outlook
        puts it on ordinary meeting requests too)."""
        return bool(
            (self.auto_submitted and self.auto_submitted.lower() != "no")
            or self.x_autoreply
            or self.x_autorespond
            or (self.precedence and self.precedence.lower() in _BULK_PRECEDENCE)
            or self.list_id
            or (self.report_type and self.report_type.lower() in _MACHINE_REPORTS)
            or self.null_return_path
        )


@dataclass(slots=True)
class ParsedMessage:
    """The decoded view of one raw message. Every field has a value, however broken the input."""

    size: int  # len(raw), always
    message_id: str | None = None  # without angle brackets
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    from_: list[Address] = field(default_factory=list)
    sender: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    date: datetime | None = None  # timezone-aware
    subject: str = ""
    #: headers worth keeping as facts (see parse.INTERESTING_HEADERS): lower-case name -> decoded values
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    text: str = ""  # the text/plain body parts, or text made from the HTML; line ends are "\n"
    text_from_html: bool = False
    html: str | None = None  # the HTML body as sent, decoded to str (line ends "\n"); NOT sanitised
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: AutoReplySignals = field(default_factory=AutoReplySignals)
    defects: list[Defect] = field(default_factory=list)

    @property
    def is_auto_reply(self) -> bool:
        return self.auto_reply.present
