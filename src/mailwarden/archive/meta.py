"""From a parsed message to the metadata the archive row keeps (the raw bytes are kept regardless).

Light on purpose (no database imports): the archive's worker processes import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailwarden.mime.message import ParsedMessage

__all__ = ["MessageMeta", "meta_from_parsed", "meta_of"]


@dataclass
class MessageMeta:
    """What the parser found in a message, in the shape of the row."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str | None = None
    from_addr: str | None = None
    from_name: str | None = None
    to: list[list[str]] = field(default_factory=list)
    cc: list[list[str]] = field(default_factory=list)
    reply_to: list[list[str]] = field(default_factory=list)
    date: datetime | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    defects: list[dict[str, str]] = field(default_factory=list)


def meta_from_parsed(parsed: ParsedMessage) -> MessageMeta:
    sender = parsed.from_[0] if parsed.from_ else None
    return MessageMeta(
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=list(parsed.references),
        subject=parsed.subject or None,
        from_addr=sender.address if sender else None,
        from_name=(sender.name or None) if sender else None,
        to=[[a.name, a.address] for a in parsed.to],
        cc=[[a.name, a.address] for a in parsed.cc],
        reply_to=[[a.name, a.address] for a in parsed.reply_to],
        date=parsed.date,
        attachments=[
            {
                "part": a.part_path,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "content_id": a.content_id,
                "disposition": a.disposition,
            }
            for a in parsed.attachments
        ],
        defects=[{"kind": d.kind, "detail": d.detail} for d in parsed.defects],
    )


def meta_of(raw: bytes | Path) -> MessageMeta:
    """Parse and convert; never raises (the parser records defects instead).

    The body text is not decoded: the row keeps none of it, and it was a third of the parsing time. So the
    row's ``defects`` cover headers, structure and attachments; a defect met only while decoding the text
    (a mislabelled charset in a body, say) is recorded by whatever decodes the text later — the search
    index — from the same raw bytes.
    """
    from mailwarden.mime import parse_message  # here: the archive's readers never need the parser

    return meta_from_parsed(parse_message(raw, text=False))
