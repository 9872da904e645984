"""Calendars the inbox time tests share: the acceptance team in Shanghai, and Berlin ones with DST traps."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, WeeklyHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def shanghai_team() -> BusinessCalendar:
    """Monday to Friday 09:00-12:00 and 13:30-18:00 (7.5 h a day), China's public holidays and 调休."""
    return BusinessCalendar(
        CalendarSpec("Asia/Shanghai", WeeklyHours.every("09:00-12:00, 13:30-18:00"), country="CN")
    )


def berlin_night_shift() -> BusinessCalendar:
    """Every day, with intervals that begin or end inside Berlin's DST gap and repeated hour."""
    hours = WeeklyHours.parse({"mon-sun": "00:00-02:30, 02:30-04:00, 09:00-17:00, 22:00-24:00"})
    return BusinessCalendar(CalendarSpec("Europe/Berlin", hours, country="DE", subdivision="BY"))


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def cet(*args: int) -> datetime:
    """Berlin wall time (CET or CEST, whichever holds then)."""
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]
