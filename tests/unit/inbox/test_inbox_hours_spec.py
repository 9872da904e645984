"""A calendar as stored settings: from a TOML table or JSON and back, and the operator's stop-gap days."""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest

from mailwarden.core.errors import ConfigError
from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec

TEAM_TOML = """
timezone = "Asia/Shanghai"
country = "CN"
hours = { mon-fri = "09:00-12:00, 13:30-18:00" }
makeup_hours = "09:00-12:00, 13:30-18:00"
# 2027: the package does not hold the State Council's schedule yet; the operator adds it meanwhile
extra_holidays = [2027-02-05, 2027-02-11, 2027-02-12]
extra_workdays = ["2027-02-20"]
"""


def test_it_reads_a_toml_table_with_dates_and_strings() -> None:
    spec = CalendarSpec.from_mapping(tomllib.loads(TEAM_TOML))
    assert spec.extra_holidays == {date(2027, 2, 5), date(2027, 2, 11), date(2027, 2, 12)}
    calendar = BusinessCalendar(spec)
    assert calendar.day_hours(date(2027, 2, 5)) == ()
    assert [str(i) for i in calendar.day_hours(date(2027, 2, 20))] == ["09:00-12:00", "13:30-18:00"]
    assert calendar.makeup_days(2027) == {date(2027, 2, 20)}


def test_a_single_day_needs_no_list() -> None:
    data = {"timezone": "UTC", "hours": {"mon": "09:00-17:00"}, "extra_workdays": "2027-02-20"}
    assert CalendarSpec.from_mapping(data).extra_workdays == {date(2027, 2, 20)}


def test_it_round_trips_through_json() -> None:
    spec = CalendarSpec.from_mapping(tomllib.loads(TEAM_TOML))
    again = CalendarSpec.from_mapping(json.loads(json.dumps(spec.as_mapping())))
    assert again == spec


def test_the_package_make_up_days_of_2026_are_listed() -> None:
    data = {"timezone": "Asia/Shanghai", "country": "CN", "hours": {"mon-fri": "09:00-18:00"}}
    calendar = BusinessCalendar(CalendarSpec.from_mapping(data))
    assert calendar.makeup_days(2026) == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"timezone": "UTC", "hours": {"mon": "09:00-17:00"}, "holidays": "CN"}, "inbox.hours.unknown_key"),
        ({"hours": {"mon": "09:00-17:00"}}, "inbox.hours.missing_key"),
        (
            {"timezone": "UTC", "hours": {"mon": "09:00-17:00"}, "extra_holidays": ["5 Feb"]},
            "inbox.hours.bad_date",
        ),
        ({"timezone": "UTC", "hours": {"mon": [9, 17]}}, "inbox.hours.bad_interval"),
        (
            {"timezone": "UTC", "hours": {"mon": "09:00-17:00"}, "extra_holidays": "5 Feb"},
            "inbox.hours.bad_date",
        ),
    ],
)
def test_it_refuses_what_it_cannot_read(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CalendarSpec.from_mapping(data)
    assert caught.value.key == key
