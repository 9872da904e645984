"""Business calendars: when a team (or an agent) works, and business time measured against it.

A calendar is working hours per weekday in a time zone (several intervals a day, "09:00-12:00, 13:30-18:00"),
public holidays from the ``holidays`` package for a country and subdivision, and the operator's own extra
holidays and extra working days. China's make-up working days (调休: a Saturday or Sunday worked in exchange
for a longer holiday) come from the package's ``weekend_workdays``; on such a day the team works its
``makeup_hours`` (by default Monday's).

Working hours are wall-clock times of the calendar's zone, turned into UTC instants day by day, so that
business time stays exact across DST changes: 09:00-18:00 on the day Berlin springs forward is still nine
hours, and an interval 01:00-04:00 that day is two. A wall time that does not exist (in the spring gap) is
the instant the clocks jump; one that exists twice begins an interval at its first occurrence and ends one
at its second — whoever works until 02:30 on the night the clocks go back leaves when the clock shows 02:30
for the last time, as night shifts do.

:meth:`BusinessCalendar.add_business_time` and :meth:`BusinessCalendar.business_time_between` step interval by
interval and skip closed days whole: a due time thirty business days ahead costs a few dozen steps, not
forty thousand minutes. Both work on aware datetimes and return UTC; ``add`` answers the *earliest* instant
at which the business time is reached, so ``between(a, add(a, d)) == d``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from mailwarden.core.errors import ConfigError, InputError
from mailwarden.inbox.hours_spec import WEEKDAYS, CalendarSpec, Interval, WeeklyHours, checked_day

if TYPE_CHECKING:
    from holidays import HolidayBase

__all__ = ["WEEKDAYS", "BusinessCalendar", "CalendarSpec", "Interval", "WeeklyHours", "as_utc"]

#: a calendar with no working time in this many days in a row is taken for one that never opens
_MAX_CLOSED_DAYS = 400
_CACHE_DAYS = 4096


class BusinessCalendar:
    """A :class:`CalendarSpec` made ready to compute: the zone loaded, the holidays source opened."""

    __slots__ = ("_holidays", "_makeup", "_windows", "spec", "zone")

    def __init__(self, spec: CalendarSpec) -> None:
        if spec.hours.is_empty() and not spec.extra_workdays:
            raise ConfigError("inbox.hours.never_open")
        try:
            self.zone = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("inbox.hours.unknown_timezone", timezone=spec.timezone) from None
        self.spec = spec
        self._holidays: HolidayBase | None = None
        if spec.country:
            try:
                self._holidays = holidays.country_holidays(spec.country, subdiv=spec.subdivision)
            except NotImplementedError as exc:
                raise ConfigError(
                    "inbox.hours.unknown_region", country=spec.country, subdivision=spec.subdivision or "-"
                ) from exc
        if spec.makeup_hours is not None:
            self._makeup = checked_day(spec.makeup_hours)
        else:
            self._makeup = spec.hours.days[0] or next((d for d in spec.hours.days if d), ())
        self._windows: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    # --- days ----------------------------------------------------------------------------------------
    def day_hours(self, day: date) -> tuple[Interval, ...]:
        """The intervals worked on a local date, after holidays, make-up days and the operator's extras."""
        weekly = self.spec.hours.days[day.weekday()]
        if day in self.spec.extra_workdays:
            return weekly or self._makeup
        if day in self.spec.extra_holidays:
            return ()
        if self._holidays is not None:
            if day in self._holidays:  # also loads the year, and with it the year's weekend workdays
                return ()
            if day in self._holidays.weekend_workdays:
                return weekly or self._makeup
        return weekly

    def makeup_days(self, year: int) -> frozenset[date]:
        """Closed weekdays worked in ``year`` (调休, and the operator's extra working days). For China, none
        for a coming year means the package does not hold that year's State Council schedule yet."""
        closed = {n for n, day in enumerate(self.spec.hours.days) if not day}
        days = {d for d in self.spec.extra_workdays if d.year == year and d.weekday() in closed}
        if self._holidays is not None:
            _ = date(year, 1, 1) in self._holidays  # loads the year
            days |= {d for d in self._holidays.weekend_workdays if d.year == year and d.weekday() in closed}
        return frozenset(
            d for d in days if d not in self.spec.extra_holidays or d in self.spec.extra_workdays
        )

    def holiday_name(self, day: date) -> str | None:
        """The package's name for a public holiday (in its default language: 国庆节 for CN); ``""`` for
        one of the operator's extra holidays, which have no name; None for any other day."""
        if day in self.spec.extra_holidays:
            return ""
        return None if self._holidays is None else self._holidays.get(day)

    def windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working intervals as UTC instants ``[start, end)``, in order."""
        cached = self._windows.get(day)
        if cached is None:
            cached = tuple(
                (self._instant(day, interval.start, fold=0), self._instant(day, interval.end, fold=1))
                for interval in self.day_hours(day)
            )
            if len(self._windows) >= _CACHE_DAYS:
                self._windows.clear()
            self._windows[day] = cached
        return cached

    def _instant(self, day: date, seconds: int, *, fold: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(seconds=seconds)
        instant = wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) == wall:
            return instant
        # the wall time falls in a spring-forward gap: the interval starts (or ends) when the clocks jump,
        # which lies between the two readings of the missing time; transitions fall on whole seconds
        early = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        late = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        early, late = min(early, late), max(early, late)
        after = late.astimezone(self.zone).utcoffset()
        while late - early > timedelta(seconds=1):
            middle = early + (late - early) // 2
            middle = middle.replace(microsecond=0)
            if middle.astimezone(self.zone).utcoffset() == after:
                late = middle
            else:
                early = middle
        return late

    # --- instants ------------------------------------------------------------------------------------
    def _open_windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows that end after ``start``, clipped to begin no earlier than it, without overlaps.

        Two windows can overlap only where a DST change repeats an hour at a boundary between them (an
        interval ending at the second 02:30, the next starting at the first); the later one is clipped.
        """
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        reached = start
        closed_days = 0
        while True:
            opened = False
            for begin, end in self.windows(day):
                begin = max(begin, reached)
                if begin < end:
                    opened = True
                    reached = end
                    yield begin, end
            closed_days = 0 if opened else closed_days + 1
            if closed_days > _MAX_CLOSED_DAYS:
                raise ConfigError("inbox.hours.never_open")
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        begin, _ = next(self._open_windows(as_utc(at)))
        return begin == at

    def next_open(self, at: datetime) -> datetime:
        """``at`` if the calendar is open then, else the next instant it opens."""
        begin, _ = next(self._open_windows(as_utc(at)))
        return begin

    def open_until(self, at: datetime) -> datetime | None:
        """The end of the working interval ``at`` lies in (joined with any that follows without a gap)."""
        windows = self._open_windows(as_utc(at))
        begin, end = next(windows)
        if begin != at:
            return None
        for begin, following in windows:
            if begin != end:
                break
            end = following
        return end

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start`` (UTC)."""
        start = as_utc(start)
        if duration < timedelta(0):
            raise InputError("inbox.hours.negative_duration", duration=str(duration))
        if not duration:
            return start
        remaining = duration
        for begin, end in self._open_windows(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: the windows never end")  # pragma: no cover

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)``; negative when ``b`` is before ``a``."""
        a, b = as_utc(a), as_utc(b)
        if b < a:
            return -self.business_time_between(b, a)
        total = timedelta(0)
        if a == b:
            return total
        for begin, end in self._open_windows(a):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total


def as_utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive datetime is refused, since the instant it names is unknown."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError("inbox.hours.naive_time", value=at.isoformat())
    return at.astimezone(UTC)
