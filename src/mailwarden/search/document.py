"""From an archived message (row facts + raw bytes) to the fields of its index document.

Plain values only (a dict of str/int/bytes/datetime), because this runs in worker processes during a
reindex and the result is pickled back; the indexing process turns it into a ``tantivy.Document``.

The text is decoded here, from the raw bytes, with the same parser the archive uses; a charset defect met
while decoding the body is returned as a problem, with the attachments that no library could read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailwarden.mime import ParsedMessage, extract_parts, parse_message
from mailwarden.search.extract import ExtractFailed, attachment_text, kind_of
from mailwarden.search.schema import STORED_TEXT_CHARS
from mailwarden.search.text import normalize, split

__all__ = ["Built", "Problem", "RowFacts", "build", "fields_for"]

#: body text beyond this is not indexed (a mail is not a book; a 50 MB text/plain is a log file)
MAX_BODY_CHARS = 500_000
#: defects that cost text the index wanted (a label that was missing or wrong, but decoded by detection, lost
#: nothing and is not reported again: the archive's row has its header and structure defects)
_TEXT_DEFECTS = frozenset(("text_replaced", "transfer_encoding", "internal"))


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What the archive row says, which the raw bytes do not (where and when the server had it)."""

    row_id: int
    mailbox_id: int
    folder_id: int
    sha256: str
    when: datetime | None


@dataclass(frozen=True, slots=True)
class Problem:
    """Something not indexed: an attachment no library could read, or text decoded with losses."""

    kind: str
    detail: str
    part: str | None = None


@dataclass(slots=True)
class Built:
    fields: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def _people(addresses: list[Any]) -> tuple[str, list[str]]:
    names = " ".join(f"{a.name or ''} {a.address or ''}" for a in addresses)
    return names, [a.address.lower() for a in addresses if a.address]


def _put(fields: dict[str, Any], name: str, text: str) -> None:
    parts = split(text)
    fields[name] = parts.latin
    fields[f"{name}_cjk2"] = parts.cjk2
    fields[f"{name}_cjk3"] = parts.cjk3


def _attachments(raw: bytes, parsed: ParsedMessage, problems: list[Problem]) -> str:
    names = [a.filename for a in parsed.attachments if a.filename]
    wanted = {a.part_path: a for a in parsed.attachments if kind_of(a.content_type, a.filename)}
    texts: list[str] = []
    if wanted:
        for path, data in extract_parts(raw, list(wanted)).items():
            attachment = wanted[path]
            try:
                texts.append(attachment_text(data, attachment.content_type, attachment.filename))
            except ExtractFailed as exc:
                problems.append(Problem(f"attachment_{exc.kind}", exc.detail, path))
    return "\n".join(names + texts)


def _view(subject: str, from_name: str | None, body: str) -> bytes:
    shown = {"subject": subject, "from_name": from_name or None, "text": normalize(body[:STORED_TEXT_CHARS])}
    return json.dumps(shown, ensure_ascii=False).encode("utf-8", "replace")


def fields_for(facts: RowFacts, parsed: ParsedMessage, attachments: str) -> dict[str, Any]:
    sender, sender_addrs = _people(parsed.from_)
    recipients, recipient_addrs = _people(parsed.to + parsed.cc + parsed.bcc)
    body = parsed.text[:MAX_BODY_CHARS]
    fields: dict[str, Any] = {
        "row_id": facts.row_id,
        "mailbox_id": facts.mailbox_id,
        "folder_id": facts.folder_id,
        "sha256": facts.sha256,
        "has_attachment": bool(parsed.attachments),
        "from_addr": sender_addrs,
        "to_addr": recipient_addrs,
        "view": _view(parsed.subject, parsed.from_[0].name if parsed.from_ else None, body),
    }
    when = facts.when or parsed.date
    if when is not None:
        fields["date"] = when
    _put(fields, "subject", parsed.subject)
    _put(fields, "body", body)
    _put(fields, "attachment", attachments)
    _put(fields, "from", sender)
    _put(fields, "to", recipients)
    return fields


def build(facts: RowFacts, raw: bytes, parsed: ParsedMessage | None = None) -> Built:
    """Parse ``raw`` with its text (unless given ``parsed``, from ``parse_message(raw)``) and attachments;
    never raises for what the message contains."""
    parsed = parsed or parse_message(raw)
    problems = [
        Problem(defect.kind, defect.detail) for defect in parsed.defects if defect.kind in _TEXT_DEFECTS
    ]
    attachments = _attachments(raw, parsed, problems)
    return Built(fields_for(facts, parsed, attachments), problems)
