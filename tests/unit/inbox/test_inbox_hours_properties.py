"""Properties of business time: add and between are inverses, monotonic and additive, on calendars with
lunch breaks, holidays, make-up days, DST gaps and repeated hours, and work across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.inbox.hours import BusinessCalendar

from inbox_calendars import berlin_night_shift, shanghai_team

CALENDARS = {"shanghai": shanghai_team(), "berlin-night": berlin_night_shift()}

# 2025-2027 covers both DST changes each year and the Chinese holidays the package knows for sure (2026)
instants = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2027, 1, 10), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))
# up to 30 business days of the Shanghai team (225 h); whole seconds, with an odd second now and then
durations = st.integers(min_value=0, max_value=225 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(sorted(CALENDARS))
fast = settings(max_examples=150, deadline=None)


@fast
@given(calendars, instants, durations)
def test_between_undoes_add(name: str, start: datetime, duration: timedelta) -> None:
    calendar = CALENDARS[name]
    assert calendar.business_time_between(start, calendar.add_business_time(start, duration)) == duration


@fast
@given(calendars, instants, instants)
def test_add_undoes_between_up_to_closed_time(name: str, a: datetime, b: datetime) -> None:
    """``add`` answers the earliest instant, so from ``a`` it reaches ``b`` when ``b`` lies inside working
    time — else the end of the last window before it, with no business time left between the two."""
    a, b = min(a, b), max(a, b)
    calendar = CALENDARS[name]
    reached = calendar.add_business_time(a, calendar.business_time_between(a, b))
    assert reached <= b
    assert calendar.business_time_between(reached, b) == timedelta(0)
    just_before = b - timedelta(microseconds=1)
    if a < just_before and calendar.business_time_between(just_before, b):  # b inside a window, not its start
        assert reached == b


@fast
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_and_composes(name: str, start: datetime, d1: timedelta, d2: timedelta) -> None:
    calendar = CALENDARS[name]
    first = calendar.add_business_time(start, min(d1, d2))
    later = calendar.add_business_time(start, max(d1, d2))
    assert start <= first <= later
    if d1:
        assert calendar.add_business_time(
            calendar.add_business_time(start, d1), d2
        ) == calendar.add_business_time(start, d1 + d2)


@fast
@given(calendars, instants, instants, instants)
def test_between_is_monotonic_additive_and_antisymmetric(
    name: str, a: datetime, b: datetime, c: datetime
) -> None:
    calendar = CALENDARS[name]
    a, b, c = sorted((a, b, c))
    ab, bc, ac = (calendar.business_time_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert timedelta(0) <= ab <= ac
    assert ab + bc == ac
    assert calendar.business_time_between(c, a) == -ac
    assert ac <= c - a


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_the_properties_can_fail(name: str) -> None:
    """A sanity check on the checks: an hour of business time is not an hour of wall time over a weekend."""
    calendar: BusinessCalendar = CALENDARS[name]
    friday_evening = datetime(2026, 3, 6, 17, tzinfo=UTC)
    assert calendar.business_time_between(friday_evening, friday_evening + timedelta(days=3)) != timedelta(
        days=3
    )
