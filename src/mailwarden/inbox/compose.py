"""Composing a reply from the shared address: the bytes that are queued, sent and filed in Sent, once.

Pure: no table, no socket. :func:`compose` takes a :class:`Draft` and returns the message as bytes with what
the queue needs to know about it (:class:`Composed`). Built with the standard library's ``email`` package
under ``policy.SMTP`` (CRLF line ends, RFC 2047 encoded words for non-ASCII names and subjects, RFC 2231
``filename*=utf-8''...`` for a Chinese attachment name), then read back with
:func:`mailwarden.mime.parse_message` — the parser the inbox reads every mail with — and checked: a
reply whose own Message-ID or threading we could not read back would be threaded by nobody else either.

* **From** is the mailbox's address with its configured display name: the customer answers the team, not
  the agent (the agent signs the text).
* **To** is the customer: the answered message's ``Reply-To`` when it has one (RFC 5322 section 3.6.2),
  else its ``From``; for a message of ours (a conversation we opened), its ``To``.
* **Subject** is "Re: " and the answered subject, unless that already starts with a reply prefix in any
  of the languages :mod:`.subjects` knows ("Re:", "AW:", "回复:"): no "Re: Re:".
* **Message-ID**, **In-Reply-To**, **References** and the token header come from
  :func:`.threading.reply_headers`.
* ``Auto-Submitted`` is *not* set (RFC 3834: a person wrote this; vacation responders should answer it).
* The body is always ``text/plain``; an HTML version, when there is one, is cleaned with nh3 and goes
  beside it as ``multipart/alternative``; attachments make it ``multipart/mixed``.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import nh3

from mailwarden.core.errors import InputError
from mailwarden.inbox.threading import ReplyHeaders
from mailwarden.inbox.tokens import TOKEN_HEADER
from mailwarden.mime import parse_message
from mailwarden.mime.addresses import Address

__all__ = ["Attachment", "Composed", "Draft", "Quoted", "clean_html", "compose", "reply_subject"]

#: a subject that already says "reply" in one of the languages our customers' clients write it in
_REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw|sv|vs|antw|odp|ynt|rif|res|r|ответ|отв|回复|回覆|答复|答覆|返信)(?:\s*[\[(]\d+[\])])?\s*[:：]",
    re.IGNORECASE,
)
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
_SIGNATURE_SEPARATOR = "-- "  # RFC 3676 section 4.3: clients fold or grey out what follows it


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Quoted:
    """The message quoted under the reply."""

    author: str
    at: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class Draft:
    from_address: str
    from_name: str
    to: Sequence[Address]
    subject: str
    body_text: str
    headers: ReplyHeaders
    at: datetime
    cc: Sequence[Address] = ()
    body_html: str | None = None
    signature_text: str = ""
    signature_html: str | None = None
    attachments: Sequence[Attachment] = ()
    quote: Quoted | None = None


@dataclass(frozen=True, slots=True)
class Composed:
    raw: bytes = field(repr=False)
    message_id: str
    in_reply_to: str | None
    subject: str
    #: every envelope recipient (To and Cc), ASCII domains
    rcpt_to: tuple[str, ...]
    sha256: str


def reply_subject(subject: str) -> str:
    """ "Re: " + ``subject``, unless it starts with a reply prefix already."""
    subject = " ".join(subject.split())
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def clean_html(html: str) -> str:
    """An agent's HTML as it may go out: nh3 (ammonia) keeps formatting, drops scripts, handlers, forms."""
    return nh3.clean(html, link_rel="noopener noreferrer")


def _header_address(each: Address, role: str) -> HeaderAddress:
    address = each.ascii
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or not address.isascii() or any(c in address for c in " <>,;\r\n"):
        # a non-ASCII local part needs SMTPUTF8 end to end; we do not promise that yet
        raise InputError("inbox.reply.bad_address", role=role, address=each.address[:200])
    return HeaderAddress(display_name=each.name, username=local, domain=domain)


def _quote_text(quote: Quoted) -> str:
    when = format_datetime(quote.at) if quote.at else ""
    head = f"On {when}, {quote.author} wrote:" if when else f"{quote.author} wrote:"
    lines = quote.text.rstrip("\n").split("\n")
    return head + "\n" + "\n".join(f"> {line}" if line else ">" for line in lines)


def _text(draft: Draft) -> str:
    parts = [draft.body_text.rstrip("\n")]
    if draft.signature_text.strip():
        parts.append(f"{_SIGNATURE_SEPARATOR}\n{draft.signature_text.strip(chr(10))}")
    if draft.quote is not None:
        parts.append(_quote_text(draft.quote))
    return "\n\n".join(parts) + "\n"


def _html(draft: Draft) -> str | None:
    if draft.body_html is None:
        return None
    parts = [clean_html(draft.body_html)]
    if draft.signature_html:
        parts.append(f'<div class="signature">{clean_html(draft.signature_html)}</div>')
    elif draft.signature_text.strip():
        escaped = html_lib.escape(draft.signature_text.strip("\n")).replace("\n", "<br>")
        parts.append(f'<div class="signature">-- <br>{escaped}</div>')
    if draft.quote is not None:
        head = _quote_text(draft.quote).partition("\n")[0]
        original = html_lib.escape(draft.quote.text.rstrip("\n")).replace("\n", "<br>")
        parts.append(f'<div>{html_lib.escape(head)}</div><blockquote type="cite">{original}</blockquote>')
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def _transfer_encoding(text: str) -> str:
    """7bit for ASCII; else quoted-printable for mostly Latin text and base64 for Chinese (QP triples its
    size). Never 8bit: a server without 8BITMIME would have to convert it, or refuse it."""
    if text.isascii():
        return "7bit"
    wide = sum(1 for char in text if ord(char) > 0x7F)
    return "base64" if wide * 4 > len(text) else "quoted-printable"


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    name = attachment.filename.strip().replace("\r", "").replace("\n", "")
    if not name or "/" in name or "\\" in name:
        raise InputError("inbox.reply.bad_attachment_name", name=attachment.filename[:200])
    content_type = attachment.content_type.strip().lower() or "application/octet-stream"
    if not _CONTENT_TYPE.match(content_type):
        raise InputError("inbox.reply.bad_content_type", name=name, type=attachment.content_type[:100])
    maintype, subtype = content_type.split("/", 1)
    if maintype in {"multipart", "message"}:
        maintype, subtype = "application", "octet-stream"  # a part we would have to build, not carry
    # policy.SMTP writes a non-ASCII filename as RFC 2231 (filename*=utf-8''%E6%8A%A5...),
    # which Thunderbird, Apple Mail, Gmail, Outlook 2010+ and Foxmail read
    message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=name)


def compose(draft: Draft) -> Composed:
    """The reply ``draft`` describes, as bytes; ``InputError`` for an address, name or type that cannot go
    in a header."""
    if not draft.to:
        raise InputError("inbox.reply.no_recipient")
    message = EmailMessage(policy=SMTP)
    message["From"] = _header_address(Address(draft.from_name, draft.from_address), "from")
    message["To"] = [_header_address(each, "to") for each in draft.to]
    if draft.cc:
        message["Cc"] = [_header_address(each, "cc") for each in draft.cc]
    subject = reply_subject(draft.subject)
    message["Subject"] = subject
    message["Date"] = format_datetime(draft.at)
    threading = draft.headers.as_headers()
    message["Message-ID"] = threading["Message-ID"]
    if "In-Reply-To" in threading:
        message["In-Reply-To"] = threading["In-Reply-To"]
    if draft.headers.references:
        message["References"] = " ".join(f"<{each}>" for each in draft.headers.references)
    message[TOKEN_HEADER] = threading[TOKEN_HEADER]
    text = _text(draft)
    message.set_content(text, charset="utf-8", cte=_transfer_encoding(text))
    html = _html(draft)
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8", cte=_transfer_encoding(html))
    for attachment in draft.attachments:
        _attach(message, attachment)
    raw = message.as_bytes(policy=SMTP)
    _check(raw, draft)
    recipients = [each.ascii for each in (*draft.to, *draft.cc)]
    return Composed(
        raw=raw,
        message_id=draft.headers.message_id,
        in_reply_to=draft.headers.in_reply_to,
        subject=subject,
        rcpt_to=tuple(dict.fromkeys(recipients)),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _check(raw: bytes, draft: Draft) -> None:
    """Read the reply back as every mail is read: what threading needs must come out as it went in."""
    parsed = parse_message(raw)
    wanted = draft.headers
    if (
        parsed.message_id != wanted.message_id
        or parsed.in_reply_to != wanted.in_reply_to
        or tuple(parsed.references) != wanted.references
        or [a.address.lower() for a in parsed.from_] != [draft.from_address.lower()]
    ):
        raise InputError(
            "inbox.reply.unreadable",
            detail=f"message_id={parsed.message_id!r} in_reply_to={parsed.in_reply_to!r}",
        )
