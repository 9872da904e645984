"""``parse_message`` and ``extract_part``: the package's two entry points.

``parse_message`` never raises. Each field is filled under its own guard (``DefectLog.guard``), so a bug
tripped by one strange header costs that header, not the message; the worst input still gives a
``ParsedMessage`` with its ``size`` and a list of defects. Callers archive the raw bytes regardless, so the
decoded view can always be rebuilt by a later, better parser.

``extract_part`` parses the message again and returns one part's decoded bytes. Parsing twice is cheaper
than keeping every attachment of every message decoded somewhere, and the part numbering is the same code
both times, so the ``part_path`` and ``sha256`` recorded at parse time match what it returns.
"""

from __future__ import annotations

import re
from pathlib import Path

from mailwarden.core.errors import InputError, NotFoundError, StorageError
from mailwarden.mime.addresses import message_id, message_ids, parse_addresses
from mailwarden.mime.bodies import collect_bodies
from mailwarden.mime.dates import parse_date
from mailwarden.mime.defects import DefectLog
from mailwarden.mime.encoded_words import decode_header, header_text
from mailwarden.mime.fields import header_index
from mailwarden.mime.message import AutoReplySignals, ParsedMessage
from mailwarden.mime.transfer import part_bytes
from mailwarden.mime.tree import Tree, build_tree, find

__all__ = ["INTERESTING_HEADERS", "extract_part", "extract_parts", "parse_message"]

#: headers kept (decoded) in ``ParsedMessage.headers``: list, bulk and auto-reply facts, client, priority,
#: routing, and the conversation token the inbox puts in its own replies (inbox/threading.py)
INTERESTING_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-ms-exchange-inbox-rules-loop",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-unsubscribe-post",
    "feedback-id",
    "return-path",
    "delivered-to",
    "x-original-to",
    "x-failed-recipients",
    "disposition-notification-to",
    "x-mailer",
    "user-agent",
    "organization",
    "x-priority",
    "importance",
    "thread-topic",
    "thread-index",
    "content-language",
    "x-mailwarden-conversation",
)
#: RFC 5322 section 3.6: these may appear at most once
_ONCE = ("from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "subject", "date")
#: name -> position in INTERESTING_HEADERS
_INTERESTING = {name: position for position, name in enumerate(INTERESTING_HEADERS)}
_ADDRESS_FIELDS = {
    "from_": "from",
    "sender": "sender",
    "reply_to": "reply-to",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
}
_PART_PATH = re.compile(r"[1-9][0-9]{0,5}(?:\.[1-9][0-9]{0,5}){0,40}")


def _size(raw: bytes | Path, log: DefectLog) -> int:
    if not isinstance(raw, Path):
        return len(raw)
    try:
        return raw.stat().st_size
    except OSError as exc:
        log.add("unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
        return 0


def parse_message(raw: bytes | Path, *, text: bool = True) -> ParsedMessage:
    """Parse raw message bytes (or a file holding them) into a :class:`ParsedMessage`. Never raises.

    With ``text=False`` the body text and HTML are not decoded (``text`` stays empty, ``html`` None, and
    defects found only while decoding them are not recorded): headers, structure and attachments only,
    for callers that keep the raw bytes and decode the text later anyway, like the archive's sync.
    """
    log = DefectLog()
    size = _size(raw, log)
    tree: Tree | None = None
    with log.guard("parse"):
        try:
            tree = build_tree(raw, log)
        except OSError as exc:
            log.add("unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
    if tree is None:
        return ParsedMessage(size=size, defects=log.result())
    result = ParsedMessage(size=size, content_type=tree.root.content_type)
    with log.guard("headers"):
        _fill_headers(result, tree, log)
    with log.guard("bodies"):
        bodies = collect_bodies(tree, log, text=text)
        result.text, result.text_from_html = bodies.text, bodies.text_from_html
        result.html, result.attachments = bodies.html, bodies.attachments
    with log.guard("auto-reply signals"):
        result.auto_reply = _signals(result, tree)
    result.defects = log.result()
    return result


def _fill_headers(result: ParsedMessage, tree: Tree, log: DefectLog) -> None:
    message, hints = tree.message, tree.hints
    index = header_index(message)  # every lookup below is one dict access: names are already lower case
    for name in _ONCE:
        values = index.get(name)
        if values is not None and len(values) > 1:
            log.add("header_repeated", f"{name}: {len(values)} times; the first is used")
    with log.guard("message-id"):
        result.message_id = _message_id(index, log)
    with log.guard("in-reply-to"):
        in_reply_to = _first(index, "in-reply-to")
        result.in_reply_to = message_id(header_text(in_reply_to, log, "In-Reply-To")) if in_reply_to else None
    with log.guard("references"):
        references = " ".join(index.get("references", ()))
        result.references = message_ids(header_text(references, log, "References"))
    # a guard costs a few microseconds, and most of these headers are absent: only present ones get one
    for field_name, header in _ADDRESS_FIELDS.items():
        if values := index.get(header):
            with log.guard(header):
                setattr(result, field_name, parse_addresses(values, log, header.title(), hints))
    with log.guard("date"):
        date = _first(index, "date")
        result.date = parse_date(None if date is None else header_text(date, log, "Date"), log)
    with log.guard("subject"):
        subject = _first(index, "subject")
        result.subject = "" if subject is None else decode_header(subject, log, "Subject", hints)
    # the few interesting headers a message has, found from its own (dozen or so) names, in the
    # INTERESTING_HEADERS order that the defects and the dict follow
    present = [name for name in index if name in _INTERESTING]
    if len(present) > 1:
        present.sort(key=_INTERESTING.__getitem__)
    for name in present:
        values = index[name]
        if values:
            with log.guard(name):
                result.headers[name] = [decode_header(value, log, name, hints) for value in values]


def _first(index: dict[str, list[str]], name: str) -> str | None:
    values = index.get(name)
    return values[0] if values else None


def _message_id(index: dict[str, list[str]], log: DefectLog) -> str | None:
    raw = _first(index, "message-id")
    if raw is None:
        log.add("message_id", "no Message-ID header")
        return None
    found = message_id(header_text(raw, log, "Message-ID"))
    if found is None:
        log.add("message_id", f"no identifier in Message-ID {raw.strip()[:80]!r}")
    elif "@" not in found:
        log.add("message_id", f"Message-ID {found[:80]!r} has no '@'")
    return found


def _signals(result: ParsedMessage, tree: Tree) -> AutoReplySignals:
    def first(name: str) -> str | None:
        values = result.headers.get(name)
        return values[0].strip() if values else None

    report_type: str | None = None
    for node in tree.root.nodes:
        if node.content_type == "multipart/report":
            report_type = node.type_params.params.get("report-type", "").strip().lower() or None
            break
        if node.content_type == "message/delivery-status":
            report_type = "delivery-status"
    return_path = first("return-path")
    return AutoReplySignals(
        auto_submitted=first("auto-submitted"),
        x_autoreply=first("x-autoreply"),
        x_autorespond=first("x-autorespond"),
        precedence=first("precedence"),
        list_id=first("list-id"),
        x_auto_response_suppress=first("x-auto-response-suppress"),
        report_type=report_type,
        null_return_path=return_path is not None and return_path.replace(" ", "") == "<>",
    )


def extract_part(raw: bytes | Path, part_path: str) -> bytes:
    """The decoded bytes of part ``part_path`` (an ``Attachment.part_path``) of the raw message.

    Raises ``InputError`` for a malformed part number, ``NotFoundError`` when the message has no such part,
    and ``StorageError`` when the file cannot be read.
    """
    if not _PART_PATH.fullmatch(part_path):
        raise InputError("mime.part_path_invalid", part=part_path)
    log = DefectLog()
    try:
        tree = build_tree(raw, log)
    except OSError as exc:
        raise StorageError("mime.unreadable", permanent=True, detail=exc.strerror or str(exc)) from exc
    node = find(tree, part_path)
    if node is None:
        raise NotFoundError("mime.part_not_found", part=part_path)
    return part_bytes(node.part, log, f"part {part_path}", tree.linesep)


def extract_parts(raw: bytes | Path, part_paths: list[str]) -> dict[str, bytes]:
    """The decoded bytes of several parts, from one parse: ``{part_path: bytes}``.

    For callers that want every attachment of a message (the search index). A part number that is
    malformed or names no part is left out of the result, instead of raising as :func:`extract_part` does:
    the paths come from ``parse_message`` of the same bytes. Raises ``StorageError`` when the file cannot
    be read.
    """
    log = DefectLog()
    try:
        tree = build_tree(raw, log)
    except OSError as exc:
        raise StorageError("mime.unreadable", permanent=True, detail=exc.strerror or str(exc)) from exc
    found: dict[str, bytes] = {}
    for path in part_paths:
        node = find(tree, path) if _PART_PATH.fullmatch(path) else None
        if node is not None:
            found[path] = part_bytes(node.part, log, f"part {path}", tree.linesep)
    return found
