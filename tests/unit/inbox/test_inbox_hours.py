"""Business calendars: intervals, holidays and 调休 make-up days, DST, midnight, the cost of a long add."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mailwarden.core.errors import ConfigError, InputError
from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, Interval, WeeklyHours

from inbox_calendars import BERLIN, SHANGHAI, berlin_night_shift, cet, cst, shanghai_team

H = timedelta(hours=1)


# --- parsing ----------------------------------------------------------------------------------------
def test_it_parses_weekday_ranges_and_several_intervals_a_day() -> None:
    hours = WeeklyHours.parse(
        {"mon-fri": "09:00-12:00, 13:30-18:00", "fri": "09:00-15:00", "sun": ["22:00-24:00"]}
    )
    assert [str(i) for i in hours.days[0]] == ["09:00-12:00", "13:30-18:00"]
    assert [str(i) for i in hours.days[4]] == ["09:00-15:00"]
    assert hours.days[5] == ()
    assert hours.days[6] == (Interval(22 * 3600, 86_400),)


@pytest.mark.parametrize("text", ["9-12", "12:00-09:00", "09:00-09:00", "24:30-25:00", "09:60-10:00", "x"])
def test_it_refuses_a_malformed_interval(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Interval.parse(text)
    assert caught.value.key == "inbox.hours.bad_interval"


def test_it_refuses_overlapping_intervals_and_unknown_weekdays() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        WeeklyHours.every("09:00-12:00, 11:00-13:00")
    with pytest.raises(ConfigError) as caught:
        WeeklyHours.parse({"fri-mon": "09:00-10:00"})
    assert caught.value.key == "inbox.hours.bad_weekday"


def test_it_refuses_unknown_zones_regions_and_a_calendar_that_never_opens() -> None:
    hours = WeeklyHours.every("09:00-17:00")
    with pytest.raises(ConfigError) as caught:
        BusinessCalendar(CalendarSpec("Mars/Olympus", hours))
    assert caught.value.key == "inbox.hours.unknown_timezone"
    with pytest.raises(ConfigError) as caught:
        BusinessCalendar(CalendarSpec("Europe/Berlin", hours, country="DE", subdivision="XX"))
    assert caught.value.key == "inbox.hours.unknown_region"
    with pytest.raises(ConfigError) as caught:
        BusinessCalendar(CalendarSpec("Europe/Berlin", WeeklyHours.parse({})))
    assert caught.value.key == "inbox.hours.never_open"


def test_a_calendar_closed_by_holidays_for_ever_says_so_instead_of_looping() -> None:
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(800))
    calendar = BusinessCalendar(
        CalendarSpec("UTC", WeeklyHours.every("09:00-17:00"), extra_holidays=every_day)
    )
    with pytest.raises(ConfigError, match="never open"):
        calendar.add_business_time(datetime(2026, 1, 1, tzinfo=UTC), H)


def test_it_refuses_naive_times_and_negative_durations() -> None:
    calendar = shanghai_team()
    with pytest.raises(InputError):
        calendar.add_business_time(datetime(2026, 3, 2, 9), H)  # naive: the point of the test
    with pytest.raises(InputError):
        calendar.add_business_time(cst(2026, 3, 2, 9), -H)


# --- China: public holidays and make-up working days (2026 State Council notice) ----------------------
# 国务院办公厅关于2026年部分节假日安排的通知, 4 Nov 2025 (Xinhua): the days off, and the weekend days worked
NOTICE_2026_OFF = [
    ((1, 1), (1, 3)),  # 元旦
    ((2, 15), (2, 23)),  # 春节
    ((4, 4), (4, 6)),  # 清明节
    ((5, 1), (5, 5)),  # 劳动节
    ((6, 19), (6, 21)),  # 端午节
    ((9, 25), (9, 27)),  # 中秋节
    ((10, 1), (10, 7)),  # 国庆节
]
NOTICE_2026_WORKED = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]


def test_the_package_holds_the_2026_state_council_schedule_day_by_day() -> None:
    """Every day of 2026: closed within the notice's holidays and on ordinary weekends, open on every other
    weekday and on the six weekend days the notice makes working days."""
    calendar = shanghai_team()
    off = {
        date(2026, *first) + timedelta(days=n)
        for first, last in NOTICE_2026_OFF
        for n in range((date(2026, *last) - date(2026, *first)).days + 1)
    }
    worked = {date(2026, *day) for day in NOTICE_2026_WORKED}
    wrong = []
    for n in range(365):
        day = date(2026, 1, 1) + timedelta(days=n)
        expected_open = day in worked or (day.weekday() < 5 and day not in off)
        if bool(calendar.day_hours(day)) != expected_open:
            wrong.append(day)
    assert wrong == []
    assert all(d.weekday() >= 5 for d in worked)
    assert calendar.makeup_days(2026) == worked


def test_operator_extra_days_override_the_package() -> None:
    """Meanwhile, before the package knows next year's schedule, the operator adds the days by config."""
    spec = CalendarSpec(
        "Asia/Shanghai",
        WeeklyHours.every("09:00-18:00"),
        country="CN",
        extra_holidays=frozenset({date(2026, 3, 2)}),
        extra_workdays=frozenset({date(2026, 3, 7), date(2026, 10, 2)}),
        makeup_hours=(Interval.parse("10:00-16:00"),),
    )
    calendar = BusinessCalendar(spec)
    assert calendar.day_hours(date(2026, 3, 2)) == ()
    assert [str(i) for i in calendar.day_hours(date(2026, 3, 7))] == [
        "10:00-16:00"
    ]  # a Saturday: make-up hours
    assert [str(i) for i in calendar.day_hours(date(2026, 10, 2))] == [
        "09:00-18:00"
    ]  # a Friday: its own hours


def test_a_due_time_over_national_day_lands_after_the_golden_week() -> None:
    """Start Fri 2026-09-25 20:00 Berlin (CEST, +2) = 18:00 UTC = Sat 09-26 02:00 Shanghai.
    Sat 26, Sun 27: weekend. Mon 28, Tue 29, Wed 30: 3 x 7.5 h = 22.5 h. Oct 1-7: holiday.
    24 h - 22.5 h = 1.5 h on Thu Oct 8 from 09:00 -> 10:30 Shanghai = 02:30 UTC = 04:30 Berlin (CEST)."""
    calendar = shanghai_team()
    due = calendar.add_business_time(cet(2026, 9, 25, 20), 24 * H)
    assert due == cst(2026, 10, 8, 10, 30) == datetime(2026, 10, 8, 2, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 4


def test_the_make_up_saturday_after_national_day_counts() -> None:
    """Same start; 40 h = 22.5 (Sep 28-30) + 7.5 (Oct 8) + 7.5 (Oct 9) = 37.5, then 2.5 h on the make-up
    Saturday Oct 10: 09:00-11:30 Shanghai = 03:30 UTC."""
    assert shanghai_team().add_business_time(cet(2026, 9, 25, 20), 40 * H) == datetime(
        2026, 10, 10, 3, 30, tzinfo=UTC
    )


def test_a_friday_evening_before_spring_festival_is_answered_on_the_make_up_saturday() -> None:
    """Fri 2026-02-13 19:00 Berlin (CET, +1) = 18:00 UTC = Sat 02-14 02:00 Shanghai: a make-up working day.
    4 h: 09:00-12:00 (3 h), then 1 h from 13:30 -> 14:30 Shanghai = 06:30 UTC.
    8 h: Saturday gives 7.5 h; Feb 15-23 are the holiday; 0.5 h on Tue Feb 24 -> 09:30 = 01:30 UTC."""
    calendar = shanghai_team()
    start = cet(2026, 2, 13, 19)
    assert calendar.add_business_time(start, 4 * H) == datetime(2026, 2, 14, 6, 30, tzinfo=UTC)
    assert calendar.add_business_time(start, 8 * H) == datetime(2026, 2, 24, 1, 30, tzinfo=UTC)
    assert calendar.business_time_between(start, cst(2026, 2, 24, 9, 30)) == 8 * H


def test_landing_exactly_on_the_end_of_an_interval_is_that_end_not_the_next_opening() -> None:
    calendar = shanghai_team()
    assert calendar.add_business_time(cst(2026, 3, 2, 9), 3 * H) == cst(2026, 3, 2, 12)
    assert calendar.add_business_time(cst(2026, 3, 2, 12, 30), H) == cst(2026, 3, 2, 14, 30)  # lunch skipped


# --- Berlin: DST and midnight ------------------------------------------------------------------------
def test_a_shanghai_due_time_after_berlin_falls_back_reads_an_hour_earlier_in_berlin() -> None:
    """Fri 2026-10-23 20:00 Berlin (CEST, +2) = 18:00 UTC = Sat 02:00 Shanghai. Berlin falls back Sun Oct 25.
    Mon Oct 26: 09:00-12:00 (3 h) + 1 h from 13:30 -> 14:30 Shanghai = 06:30 UTC = 07:30 Berlin (CET, +1)."""
    due = shanghai_team().add_business_time(cet(2026, 10, 23, 20), 4 * H)
    assert due == datetime(2026, 10, 26, 6, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).strftime("%H:%M %z") == "07:30 +0100"


def test_a_shanghai_due_time_after_berlin_springs_forward_reads_an_hour_later_in_berlin() -> None:
    """Fri 2026-03-27 20:00 Berlin (CET, +1) = 19:00 UTC = Sat 03:00 Shanghai. Berlin springs forward on Sun
    Mar 29. Mon Mar 30: 4 h -> 14:30 Shanghai = 06:30 UTC = 08:30 Berlin (CEST, +2)."""
    due = shanghai_team().add_business_time(cet(2026, 3, 27, 20), 4 * H)
    assert due.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %z") == "2026-03-30 08:30 +0200"


def test_berlin_days_are_23_and_25_hours_long_on_the_dst_sundays() -> None:
    """00:00-02:30 + 02:30-04:00 + 09:00-17:00 + 22:00-24:00 is 14 h on an ordinary day. On 2026-03-29 the
    hour 02:00-03:00 does not exist: 02:30 is the jump (01:00 UTC); the early intervals give 3 h, not 4: 13 h.
    On 2026-10-25 02:00-03:00 happens twice: 00:00-02:30 ends at the second 02:30 and 02:30-04:00 starts
    where that ends, so the early intervals give 5 h, not 4: 15 h."""
    calendar = berlin_night_shift()

    def day(d: date) -> timedelta:
        midnight = datetime(d.year, d.month, d.day, tzinfo=BERLIN)
        return calendar.business_time_between(
            midnight, datetime.combine(d + timedelta(days=1), midnight.timetz())
        )

    assert day(date(2026, 3, 28)) == 14 * H
    assert day(date(2026, 3, 29)) == 13 * H
    assert day(date(2026, 10, 25)) == 15 * H
    starts = [begin for begin, _ in calendar.windows(date(2026, 3, 29))]
    assert starts[1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:30 does not exist: the jump


def test_an_interval_ending_in_the_repeated_hour_ends_at_its_second_occurrence() -> None:
    """01:00-02:30 on 2026-10-25: from 01:00 CEST (23:00 UTC) to 02:30 CET (01:30 UTC), 2.5 h, not 1.5 h."""
    night = WeeklyHours.parse({"sun": "01:00-02:30"})
    calendar = BusinessCalendar(CalendarSpec("Europe/Berlin", night))
    assert calendar.windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    )
    assert calendar.windows(date(2026, 3, 29)) == (  # 02:30 does not exist: until the jump at 01:00 UTC
        (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)),
    )


def test_work_runs_on_across_midnight() -> None:
    """22:00-24:00 then 00:00-02:30: 3 h from 22:30 Saturday Oct 24 ends 01:30 Sunday, still CEST (+2)."""
    calendar = berlin_night_shift()
    assert calendar.add_business_time(cet(2026, 10, 24, 22, 30), 3 * H) == cet(2026, 10, 25, 1, 30)
    # 22:00-24:00, 00:00 to the second 02:30, 02:30-04:00 join up: open until 04:00 CET = 03:00 UTC
    assert calendar.open_until(cet(2026, 10, 24, 23)) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    assert calendar.is_open(cet(2026, 10, 24, 23))
    assert not calendar.is_open(cet(2026, 10, 24, 20))
    assert calendar.open_until(cet(2026, 10, 24, 20)) is None
    assert calendar.next_open(cet(2026, 10, 24, 20)) == cet(2026, 10, 24, 22)


def test_a_bavarian_holiday_closes_the_day() -> None:
    """2026-01-06 (Epiphany) is a public holiday in Bavaria."""
    calendar = berlin_night_shift()
    assert calendar.day_hours(date(2026, 1, 6)) == ()
    assert calendar.holiday_name(date(2026, 1, 6))


# --- cost ---------------------------------------------------------------------------------------------
class _Counting(BusinessCalendar):
    __slots__ = ("days",)

    def windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        self.days += 1
        return super().windows(day)


def test_thirty_business_days_ahead_costs_a_few_dozen_days_not_minutes() -> None:
    """30 business days x 7.5 h over National Day: about 50 calendar days looked at, each once."""
    calendar = _Counting(shanghai_team().spec)
    calendar.days = 0
    due = calendar.add_business_time(cst(2026, 9, 14, 9), 30 * 7.5 * H)
    # Sep 14-18, 20 (make-up Sunday), 21-24, 28-30: 13 days (Sep 25 is Mid-Autumn); Oct 8, 9, 10 (make-up
    # Saturday): 16; Oct 12-16, 19-23: 26; Oct 26-29: 30 -> Thu Oct 29 18:00 Shanghai
    assert due == cst(2026, 10, 29, 18)
    assert calendar.days <= 50
    assert calendar.business_time_between(cst(2026, 9, 14, 9), due) == 225 * H
    assert SHANGHAI.key == "Asia/Shanghai"
