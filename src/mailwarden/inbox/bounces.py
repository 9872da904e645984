"""What a bounce says: which of our messages it returns, to whom delivery failed, and why.

A bounce is linked to the outgoing message it bounced, so an agent sees "not delivered" on the
conversation instead of a customer silently not answering. :func:`read_bounce` finds:

* the original's ``Message-ID`` (and the conversation token our replies carry in
  ``X-Mailwarden-Conversation``) in the returned message: a ``message/rfc822`` or ``message/global`` part,
  a ``text/rfc822-headers`` or ``message/global-headers`` part (RFC 3462, RFC 6533), or — in the plain-text
  bounces of qmail, Exim and others — the headers quoted after the "copy of the message" line;
* the failed recipients with their RFC 3464 ``Action``, ``Status`` and ``Diagnostic-Code`` from the
  ``message/delivery-status`` part, or from the text of bounces that have none (qmail's ``<addr>:``
  paragraphs, Exim's indented addresses, QQ Mail's "无法发送到 addr", NetEase's "收件人：addr").

QQ Mail and NetEase (Coremail) bounces describe the original in words — subject, time, recipient — and
may carry no Message-ID at all; ``original_subject`` and ``original_date`` are then what a caller can
match on (the recipient and subject of our recent outgoing mail), as a suggestion.

Sources for the shapes: RFC 3464 section 2 and its appendix examples; qmail-send.c and Exim's deliver.c
as quoted by Sisimai's decoders (``sisimai/go-sisimai`` lhost/via-qmail.go, via-exim.go); a NetEase
"系统退信" message kept in a public project's demo data (``think_mail`` table of smeoa); a QQ Mail
"来自qq.com的退信" reconstructed in a public project's regression test. The test fixtures name each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mailwarden.mime import ParsedMessage, extract_part, parse_message
from mailwarden.mime.addresses import message_id

__all__ = [
    "BounceReport",
    "ReportedRecipient",
    "bounced_message_ids",
    "read_bounce",
    "receipt_message_id",
    "text_bounce_evidence",
]

Format = Literal["rfc3464", "qmail", "exim", "qq", "netease", "text"]

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ORIGINAL_TYPES = frozenset({"message/rfc822", "message/global"})
_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})
_MDN_TYPES = frozenset({"message/disposition-notification", "message/global-disposition-notification"})
_MACHINE_LOCAL_PARTS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "mdaemon"})
_MACHINE_NAMES = re.compile(
    r"mail delivery (?:sub)?system|mailer.daemon|postmaster|系统管理员|系统退信", re.I
)
#: wording that only bounces use, and which bounce software it names; checked in this order
_WORDING: tuple[tuple[str, Format], ...] = (
    ("Hi. This is the qmail-send program", "qmail"),
    ("This message was created automatically by mail delivery software.", "exim"),
    ("很抱歉您发送的邮件被退回", "qq"),
    ("抱歉，您的邮件被退回来了", "netease"),
    ("This is the mail system at host", "text"),  # Postfix, when it is configured to send text only
    ("The following addresses had permanent fatal errors", "text"),  # sendmail
    ("Delivery to the following recipient", "text"),  # Gmail's older text notices
    ("Delivery has failed to these recipients or groups", "text"),  # Exchange / Microsoft 365
    # NetEase (Coremail) and QQ Mail head the reason so; other Chinese systems are expected to, unverified
    ("退信原因", "text"),
)
_BOUNCE_SUBJECT = re.compile(
    r"failure notice|mail delivery failed|undeliver(?:ed|able)|returned mail|delivery status notification"
    r"|mail system error|系统退信|退信|投递失败|无法送达",
    re.IGNORECASE,
)
#: lines after which a text bounce quotes the original message (qmail, Exim, sendmail, Coremail, others)
_COPY_MARKERS = re.compile(
    r"^[ \t]*-+ ?(?:Below this line is a copy of the (?:message|mail header)|Below the next line is a copy of"
    r" the message|This is a copy of the message|Original message follows|Message header follows"
    r"|Original message|原邮件头信息|原始邮件).*$|^Original message follows\.?$",
    re.IGNORECASE | re.MULTILINE,
)
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_ADDRESS = r"[^\s<>()\[\],;:\"'：]+@[^\s<>()\[\],;:\"'：]+\.[A-Za-z0-9-]+"
_QMAIL_RECIPIENT = re.compile(rf"^<({_ADDRESS})>:\s*$", re.MULTILINE)
_EXIM_RECIPIENT = re.compile(rf"^  ({_ADDRESS})(?:\s*$|:\s)", re.MULTILINE)
_QQ_RECIPIENT = re.compile(rf"无法发送到\s*({_ADDRESS})")
_NETEASE_RECIPIENT = re.compile(rf"收\s*件\s*人\s*[:：]\s*({_ADDRESS})")
#: any other text bounce: an address in angle brackets, or alone on an indented line (sendmail, Gmail)
_ANY_RECIPIENT = re.compile(rf"<({_ADDRESS})>|^[ \t]+({_ADDRESS})[ \t]*$", re.MULTILINE)
_REASON = re.compile(r"退信原因\s*[:：]?\s*(.+?)(?:\n\s*\n|(?:建议)?解决方案|$)", re.DOTALL)
_SUBJECT = re.compile(r"主[\s\u3000]*题\s*[:：]\s*(.+)")
_DATE = re.compile(r"时[\s\u3000]*间\s*[:：]\s*(.+)")
_DIAGNOSTIC_LIMIT = 500
_RECIPIENT_PATTERNS: dict[str, re.Pattern[str]] = {
    "qmail": _QMAIL_RECIPIENT,
    "exim": _EXIM_RECIPIENT,
    "qq": _QQ_RECIPIENT,
    "netease": _NETEASE_RECIPIENT,
}


@dataclass(frozen=True, slots=True)
class ReportedRecipient:
    """One recipient of the original: RFC 3464 section 2.3's fields, or what a text bounce says of it.

    Usually a failure; a delay notice reports ``delayed``, and a notice asked for with RFC 3461
    ``NOTIFY=SUCCESS`` reports ``delivered`` or ``relayed`` — noise all the same, but no failure."""

    address: str
    action: str | None = None  # failed, delayed, delivered, relayed, expanded (lower case)
    status: str | None = None  # RFC 3463 enhanced status, "5.1.1"
    diagnostic: str | None = None  # "smtp; 550 5.1.1 <x@example.com>: user unknown", as sent
    original_address: str | None = None  # Original-Recipient, when the MTA kept it
    remote_mta: str | None = None

    @property
    def permanent(self) -> bool:
        """Whether delivery has failed for good (a 5.x.x status, or ``Action: failed`` without one)."""
        if self.status:
            return self.status.startswith("5")
        return self.action in (None, "failed")


@dataclass(frozen=True, slots=True)
class BounceReport:
    format: Format
    message_ids: tuple[str, ...] = ()  # of the returned original, without angle brackets
    conversation_tokens: tuple[str, ...] = ()  # X-Mailwarden-Conversation of the original
    recipients: tuple[ReportedRecipient, ...] = ()
    original_subject: str | None = None
    original_date: str | None = None  # as the bounce words it ("2013-04-11 14:29:05"), not parsed
    reporting_mta: str | None = None

    @property
    def permanent(self) -> bool:
        return any(recipient.permanent for recipient in self.recipients) or not self.recipients


def _is_machine_sender(parsed: ParsedMessage) -> str | None:
    for address in parsed.from_:
        local = address.address.rpartition("@")[0].lower()
        if local in _MACHINE_LOCAL_PARTS or _MACHINE_NAMES.search(address.name):
            return f"{address.name} <{address.address}>".strip()
    return None


def _wording(text: str) -> tuple[str, Format] | None:
    return next(((marker, name) for marker, name in _WORDING if marker in text), None)


def text_bounce_evidence(parsed: ParsedMessage) -> list[tuple[str, str, str]]:
    """(header, value, meaning) facts that ``parsed`` is a bounce without a delivery-status part, or [].

    A machine sender (``MAILER-DAEMON``, ``postmaster``, "Mail Delivery System", or a null envelope
    sender) *and* bounce wording in the text or the subject: either alone is something a person can
    write, or forward.
    """
    sender = _is_machine_sender(parsed)
    machine = ("From", sender, "machine-sender") if sender else None
    if machine is None and parsed.auto_reply.null_return_path:
        machine = ("Return-Path", "<>", "null-sender")
    if machine is None:
        return []
    facts = [machine]
    wording = _wording(parsed.text)
    if wording is not None:
        facts.append(("body", wording[0], f"{wording[1]}-bounce-text"))
    if _BOUNCE_SUBJECT.search(parsed.subject):
        facts.append(("Subject", parsed.subject[:200], "bounce-subject"))
    return facts if len(facts) > 1 else []


def _dsn_fields(text: str) -> list[dict[str, str]]:
    """RFC 3464 section 2.1: groups of header-like fields separated by blank lines; names lower-cased."""
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                groups.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last is not None:
            current[last] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()
            current.setdefault(last, value.strip())
    if current:
        groups.append(current)
    return groups


def _typed_value(value: str | None) -> str | None:
    """``rfc822; user@example.com`` -> ``user@example.com`` (RFC 3464 section 2.3.2: address-type;...)."""
    if not value:
        return None
    kind, semicolon, rest = value.partition(";")
    return (rest if semicolon else kind).strip() or None


def _status(value: str | None, diagnostic: str | None) -> str | None:
    for text in (value, diagnostic):
        match = _ENHANCED.search(text or "")
        if match:
            return match[1]
    return None


def _recipient_from_fields(fields: dict[str, str]) -> ReportedRecipient | None:
    address = _typed_value(fields.get("final-recipient")) or _typed_value(fields.get("original-recipient"))
    if not address:
        return None
    diagnostic = fields.get("diagnostic-code")
    return ReportedRecipient(
        address=address,
        action=(fields.get("action") or "").strip().lower() or None,
        status=_status(fields.get("status"), diagnostic),
        diagnostic=diagnostic[:_DIAGNOSTIC_LIMIT] if diagnostic else None,
        original_address=_typed_value(fields.get("original-recipient")),
        remote_mta=_typed_value(fields.get("remote-mta")),
    )


def _after(text: str, start: int) -> str:
    """The diagnostic paragraph that starts at ``start``: up to the next blank line, trimmed."""
    end = text.find("\n\n", start)
    paragraph = " ".join(text[start : end if end >= 0 else None].split())
    return paragraph[:_DIAGNOSTIC_LIMIT]


def _text_recipients(
    parsed: ParsedMessage, kind: Format, failed_header: str | None
) -> list[ReportedRecipient]:
    text = parsed.text
    copy = _COPY_MARKERS.search(text)
    explained = text[: copy.start()] if copy else text  # never read the quoted original's To: as failed
    reason = _REASON.search(explained)
    found: list[ReportedRecipient] = []
    pattern = _RECIPIENT_PATTERNS.get(kind)
    for match in pattern.finditer(explained) if pattern else ():
        diagnostic = _after(explained, match.end()) or None
        if kind in {"qq", "netease"} and reason:
            diagnostic = " ".join(reason[1].split())[:_DIAGNOSTIC_LIMIT]
        found.append(ReportedRecipient(match[1], "failed", _status(None, diagnostic), diagnostic))
    known = {recipient.address.lower() for recipient in found}
    if pattern is None and not failed_header:
        # the bounce's own From and To (we are its To) are not the failed recipients
        known |= {address.address.lower() for address in (*parsed.from_, *parsed.to)}
        for match in _ANY_RECIPIENT.finditer(explained):
            address = match[1] or match[2]
            if address.lower() not in known:
                diagnostic = _after(explained, match.end()) or None
                found.append(ReportedRecipient(address, "failed", _status(None, diagnostic), diagnostic))
                known.add(address.lower())
    for address in re.split(r"[,\s]+", failed_header or ""):
        if "@" in address and address.lower() not in known:
            found.append(ReportedRecipient(address, "failed"))
            known.add(address.lower())
    return found


def _original_headers(data: bytes) -> ParsedMessage:
    return parse_message(data, text=False)


def _tokens(original: ParsedMessage) -> list[str]:
    return [value.strip() for value in original.headers.get("x-mailwarden-conversation", []) if value.strip()]


def read_bounce(parsed: ParsedMessage, raw: bytes | Path) -> BounceReport | None:
    """What the bounce ``parsed`` (parsed from ``raw``, with its text) reports, or None if it is none.

    A Message-ID found here is only a claim: bounces of spam that forged our address ("backscatter") name
    messages we never sent. Link a bounce only to a message we did send, or by a token that verifies.
    Raises what ``extract_part`` raises when ``raw`` is not the message ``parsed`` was made from.
    """
    dsn_parts = [a for a in parsed.attachments if a.content_type in _DSN_TYPES]
    wording = _wording(parsed.text)
    failed_header = ", ".join(parsed.headers.get("x-failed-recipients", [])) or None
    if not dsn_parts and not text_bounce_evidence(parsed) and not failed_header:
        return None
    ids: list[str] = []
    tokens: list[str] = []
    subject: str | None = None
    for attachment in parsed.attachments:
        if attachment.content_type in _ORIGINAL_TYPES | _HEADER_TYPES:
            original = _original_headers(extract_part(raw, attachment.part_path))
            ids += [original.message_id] if original.message_id else []
            tokens += _tokens(original)
            subject = subject or original.subject or None
    recipients: list[ReportedRecipient] = []
    reporting_mta: str | None = None
    for attachment in dsn_parts:
        data = extract_part(raw, attachment.part_path)
        # US-ASCII by RFC 3464, UTF-8 in message/global-delivery-status (RFC 6533): one decoding reads both
        groups = _dsn_fields(data.decode("utf-8", errors="replace"))
        for fields in groups:  # the per-message group names the MTA; each per-recipient group a recipient
            reporting_mta = reporting_mta or _typed_value(fields.get("reporting-mta"))
            recipient = _recipient_from_fields(fields)
            if recipient is not None:
                recipients.append(recipient)
    kind: Format = "rfc3464" if dsn_parts else (wording[1] if wording else "text")
    text = parsed.text
    copy = _COPY_MARKERS.search(text)
    if not ids and copy is not None:
        quoted = "\n".join(line.lstrip("> \t") for line in text[copy.end() :].lstrip("\n").split("\n"))
        original = _original_headers(quoted.encode("utf-8"))
        ids += [original.message_id] if original.message_id and "@" in original.message_id else []
        tokens += _tokens(original)
        subject = subject or original.subject or None
    if not ids:
        own = parsed.message_id
        ids += [m[1][1:-1] for m in _MESSAGE_ID_LINE.finditer(text) if m[1][1:-1] != own]
    if not recipients:
        recipients = _text_recipients(parsed, kind, failed_header)
    words = text[: copy.start()] if copy else text
    if subject is None and (match := _SUBJECT.search(words)):
        subject = match[1].strip() or None
    date = _DATE.search(words)
    return BounceReport(
        format=kind,
        message_ids=tuple(dict.fromkeys(ids)),
        conversation_tokens=tuple(dict.fromkeys(tokens)),
        recipients=tuple(recipients),
        original_subject=subject,
        original_date=date[1].strip() if date else None,
        reporting_mta=reporting_mta,
    )


def bounced_message_ids(parsed: ParsedMessage, raw: bytes | Path) -> tuple[str, ...]:
    """The Message-ID(s) of the original that the bounce ``parsed`` returns; () when none is named."""
    report = read_bounce(parsed, raw)
    return report.message_ids if report else ()


def receipt_message_id(parsed: ParsedMessage, raw: bytes | Path) -> str | None:
    """The Message-ID of the message a read receipt (RFC 8098) reports on, or None.

    ``Original-Message-ID`` of the message/disposition-notification part (RFC 8098 section 3.2.5), else
    the Message-ID in a returned headers part. Lets a conversation show "read by the customer".
    """
    for attachment in parsed.attachments:
        if attachment.content_type in _MDN_TYPES:
            text = extract_part(raw, attachment.part_path).decode("utf-8", errors="replace")
            for fields in _dsn_fields(text):
                found = message_id(fields.get("original-message-id"))
                if found:
                    return found
    for attachment in parsed.attachments:
        if attachment.content_type in _HEADER_TYPES | _ORIGINAL_TYPES and parsed.auto_reply.report_type:
            original = _original_headers(extract_part(raw, attachment.part_path))
            if original.message_id:
                return original.message_id
    return None
