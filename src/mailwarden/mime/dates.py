"""The Date header, read leniently.

``email.utils.parsedate_tz`` reads RFC 5322 and many old forms, but it silently takes ``GMT+0800`` and
``+08:00`` as UTC (an eight-hour error on most of this team's mail from China), and rejects ISO 8601. Those
are rewritten before it sees them, ISO 8601 is tried after it, and a date without a zone is read as UTC with a
``date`` defect, so that every date we return is timezone-aware and sortable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

from mailwarden.mime.defects import DefectLog

__all__ = ["parse_date"]

_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_COLON_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})(?=\s|$|\()")
_HAS_ZONE = re.compile(r"[+-]\d{4}\b|\b(?:UTC?|GMT|Z|[A-IK-Z]|[ECMP][SD]T)\b\s*(?:\(.*\))?\s*$")


def _normalise(text: str) -> str:
    text = _GMT_OFFSET.sub(lambda m: f"{m[1]}{int(m[2]):02d}{m[3] or '00'}", text)
    return _COLON_OFFSET.sub(r"\1\2\3", text)


def _from_tuple(text: str) -> datetime | None:
    parts = parsedate_tz(text)
    if parts is None:
        return None
    offset = parts[9] or 0
    try:
        zone = timezone(timedelta(seconds=offset))
        return datetime(*parts[:6], tzinfo=zone)
    except (ValueError, OverflowError):
        return None


def _from_iso(text: str) -> datetime | None:
    candidate = re.sub(r"\s+(?=[+-]\d{2}:?\d{2}$)", "", text.strip())
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_date(value: str | None, log: DefectLog) -> datetime | None:
    """An aware datetime for a Date header value, or None (with a ``date`` defect)."""
    if value is None or not value.strip():
        log.add("date", "no Date header")
        return None
    text = " ".join(value.split())
    normal = _normalise(text)
    result = _from_tuple(normal) or _from_iso(normal)
    if result is None:
        log.add("date", f"unreadable Date header {text!r}")
        return None
    if not _HAS_ZONE.search(normal) and not _iso_zone(normal):
        log.add("date", f"Date header {text!r} has no time zone; read as UTC")
        result = result.replace(tzinfo=UTC)
    elif normal != text:
        log.add("date", f"non-standard Date header {text!r} read as {result.isoformat()}")
    return result


def _iso_zone(text: str) -> bool:
    return bool(re.search(r"\d(?:Z|[+-]\d{2}:?\d{2})$", text.strip()))
