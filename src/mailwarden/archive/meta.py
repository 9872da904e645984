"""From a parsed message to the metadata the archive row keeps (the raw bytes are kept regardless)."""

from __future__ import annotations

from pathlib import Path

from mailwarden.archive.service import MessageMeta
from mailwarden.mime import parse_message
from mailwarden.mime.message import ParsedMessage

__all__ = ["meta_from_parsed", "meta_of"]


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
    """Parse and convert; never raises (the parser records defects instead)."""
    return meta_from_parsed(parse_message(raw))
