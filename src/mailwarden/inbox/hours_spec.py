"""What a business calendar is made of, as plain data: working intervals, weekly hours, and the stored spec.

:class:`CalendarSpec` is what a team or an agent keeps (in a TOML table or a JSON column, via
:meth:`CalendarSpec.from_mapping` / :meth:`CalendarSpec.as_mapping`); :class:`~mailwarden.inbox.hours.
BusinessCalendar` turns it into something to compute with.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mailwarden.core.errors import ConfigError

__all__ = ["WEEKDAYS", "CalendarSpec", "Interval", "WeeklyHours", "checked_day"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 86_400
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """Working time within one day, in seconds after local midnight: ``0 <= start < end <= 86400``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_SECONDS:
            raise ConfigError("inbox.hours.bad_interval", interval=str(self))

    @classmethod
    def parse(cls, text: str) -> Interval:
        """``"09:00-12:00"``; ``24:00`` ends an interval at midnight."""
        if not isinstance(text, str):  # a number or a table where settings should hold text
            raise ConfigError("inbox.hours.bad_interval", interval=repr(text))
        start, sep, end = text.partition("-")
        if not sep:
            raise ConfigError("inbox.hours.bad_interval", interval=text)
        return cls(_seconds(start, text), _seconds(end, text))

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _seconds(part: str, whole: str) -> int:
    match = _TIME.match(part)
    if not match:
        raise ConfigError("inbox.hours.bad_interval", interval=whole)
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ConfigError("inbox.hours.bad_interval", interval=whole)
    return hours * 3600 + minutes * 60


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def checked_day(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    ordered = tuple(sorted(intervals))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ConfigError("inbox.hours.overlap", first=str(before), second=str(after))
    return ordered


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Intervals for each weekday, Monday first. A day without intervals is closed."""

    days: tuple[tuple[Interval, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ConfigError("inbox.hours.seven_days", count=len(self.days))
        object.__setattr__(self, "days", tuple(checked_day(day) for day in self.days))

    @classmethod
    def parse(cls, spec: Mapping[str, str | Sequence[str]]) -> WeeklyHours:
        """``{"mon-fri": "09:00-12:00, 13:30-18:00", "sat": ["10:00-14:00"]}``; unnamed days are closed.

        A later key naming a day again replaces its hours, so ``{"mon-fri": ..., "fri": ...}`` reads as
        people mean it.
        """
        days: list[tuple[Interval, ...]] = [() for _ in WEEKDAYS]
        for names, value in spec.items():
            texts = value.split(",") if isinstance(value, str) else list(value)
            intervals = tuple(Interval.parse(t) for t in texts if not isinstance(t, str) or t.strip())
            for index in _day_range(names):
                days[index] = intervals
        return cls(tuple(days))

    @classmethod
    def every(cls, text: str, weekdays: str = "mon-fri") -> WeeklyHours:
        return cls.parse({weekdays: text})

    def is_empty(self) -> bool:
        return not any(self.days)


def _day_range(names: str) -> range:
    first, _, last = names.strip().lower().partition("-")
    try:
        start = WEEKDAYS.index(first.strip())
        end = WEEKDAYS.index(last.strip()) if last else start
    except ValueError:
        raise ConfigError("inbox.hours.bad_weekday", value=names) from None
    if end < start:
        raise ConfigError("inbox.hours.bad_weekday", value=names)
    return range(start, end + 1)


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """What a team or agent stores: plain data, turned into a :class:`BusinessCalendar` to compute with."""

    timezone: str
    hours: WeeklyHours
    country: str | None = None
    subdivision: str | None = None
    #: days off beyond the country's (a company holiday, a day the package does not know yet)
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    #: days worked although the calendar says otherwise (a make-up day the package does not know yet)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    #: hours of a working day that falls on a closed weekday (调休); None: Monday's, else the first open day's
    makeup_hours: tuple[Interval, ...] | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CalendarSpec:
        """From stored settings (a TOML table, a JSON column). Dates may be ISO strings or TOML dates.

        ``{"timezone": "Asia/Shanghai", "country": "CN", "hours": {"mon-fri": "09:00-12:00, 13:30-18:00"},
        "extra_holidays": ["2027-02-05"], "extra_workdays": ["2027-02-20"], "makeup_hours": "09:00-18:00"}``
        """
        unknown = set(data) - _SPEC_KEYS
        if unknown:
            raise ConfigError("inbox.hours.unknown_key", keys=", ".join(sorted(unknown)))
        if not isinstance(data.get("timezone"), str) or not isinstance(data.get("hours"), Mapping):
            raise ConfigError("inbox.hours.missing_key")
        makeup = data.get("makeup_hours")
        return cls(
            timezone=data["timezone"],
            hours=WeeklyHours.parse(data["hours"]),
            country=data.get("country") or None,
            subdivision=data.get("subdivision") or None,
            extra_holidays=_dates(data.get("extra_holidays", ())),
            extra_workdays=_dates(data.get("extra_workdays", ())),
            makeup_hours=None if makeup is None else WeeklyHours.parse({"mon": makeup}).days[0],
        )

    def as_mapping(self) -> dict[str, Any]:
        """The inverse of :meth:`from_mapping`, JSON-ready."""
        data: dict[str, Any] = {
            "timezone": self.timezone,
            "hours": {
                name: ", ".join(str(i) for i in day)
                for name, day in zip(WEEKDAYS, self.hours.days, strict=True)
                if day
            },
            "extra_holidays": sorted(d.isoformat() for d in self.extra_holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
        }
        for key, value in (("country", self.country), ("subdivision", self.subdivision)):
            if value:
                data[key] = value
        if self.makeup_hours is not None:
            data["makeup_hours"] = ", ".join(str(i) for i in self.makeup_hours)
        return data


_SPEC_KEYS = {
    "timezone",
    "hours",
    "country",
    "subdivision",
    "extra_holidays",
    "extra_workdays",
    "makeup_hours",
}


def _dates(values: Iterable[str | date] | str | date) -> frozenset[date]:
    if isinstance(values, str | date):  # one day written without the list around it
        values = [values]
    days: set[date] = set()
    for value in values:
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(str(value)))
        except ValueError:
            raise ConfigError("inbox.hours.bad_date", value=str(value)) from None
    return frozenset(days)
