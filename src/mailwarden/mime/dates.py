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
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
#: the form nearly every Date header has: "Sat, 20 Sep 2025 12:15:25 +0800" (the day name optional; a
#: year below 1000 is left to parsedate_tz, which reads "0050" as 2050)
_RFC5322 = re.compile(
    rf"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{{1,2}}) ({'|'.join(_MONTH_NAMES)}) ([1-9][0-9]{{3}}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"
)


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
    return _rfc5322(text) or _parse_text(text, log)


def _rfc5322(text: str) -> datetime | None:
    """The common form read directly: what the general path gives it (no rewriting, no defect), or None.

    ``parsedate_tz`` reads the same fields; the zone "+hhmm" is sign * (hh hours + mm minutes), and "-0000"
    is UTC. A value datetime refuses (31 February, hour 24, a zone of a day or more) takes the general path.
    """
    match = _RFC5322.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    offset = int(zone_hours) * 3600 + int(zone_minutes) * 60
    try:
        zone = timezone(timedelta(seconds=-offset if sign == "-" else offset))
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except (ValueError, OverflowError):
        return None


def _parse_text(text: str, log: DefectLog) -> datetime | None:
    """``parse_date`` of white-space-normalised text, every step."""
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
