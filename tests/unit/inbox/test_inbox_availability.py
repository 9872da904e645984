"""Agents' availability in their own time zone and calendar, and the round-robin and least-loaded choosers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.core.errors import InputError
from mailwarden.inbox.availability import (
    AgentSchedule,
    Choice,
    Unavailable,
    is_available,
    least_loaded,
    next_available,
    round_robin,
    why_unavailable,
)
from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, WeeklyHours

from inbox_calendars import cet, cst, shanghai_team

BERLIN_OFFICE = BusinessCalendar(
    CalendarSpec("Europe/Berlin", WeeklyHours.every("09:00-17:00"), country="DE", subdivision="BY")
)
SHANGHAI_OFFICE = shanghai_team()
# Tue 2026-03-03 10:00 Shanghai = 02:00 UTC = 03:00 Berlin: Shanghai works, Berlin sleeps
SHANGHAI_MORNING = cst(2026, 3, 3, 10)
# Tue 2026-03-03 10:00 Berlin = 09:00 UTC = 17:00 Shanghai: both work
OVERLAP = cet(2026, 3, 3, 10)


def agent(name: str, calendar: BusinessCalendar = SHANGHAI_OFFICE, **kwargs: object) -> AgentSchedule:
    return AgentSchedule(name, calendar, **kwargs)  # type: ignore[arg-type]


def test_availability_follows_the_agents_own_zone_and_hours() -> None:
    li, anna = agent("li"), agent("anna", BERLIN_OFFICE)
    assert is_available(li, SHANGHAI_MORNING) and not is_available(anna, SHANGHAI_MORNING)
    assert why_unavailable(anna, SHANGHAI_MORNING) is Unavailable.OFF_HOURS
    assert is_available(li, OVERLAP) and is_available(anna, OVERLAP)
    assert why_unavailable(li, cst(2026, 3, 3, 12, 30)) is Unavailable.OFF_HOURS  # lunch


def test_chinese_holidays_and_make_up_days_apply_to_an_agent_in_china() -> None:
    li = agent("li")
    assert why_unavailable(li, cst(2026, 10, 1, 10)) is Unavailable.OFF_HOURS  # National Day
    assert is_available(li, cst(2026, 10, 10, 10))  # Saturday, a make-up working day
    assert next_available(li, cst(2026, 9, 30, 18)) == cst(2026, 10, 8, 9)


def test_out_of_office_wins_over_working_hours_and_touching_stretches_join() -> None:
    week = (cst(2026, 3, 2), cst(2026, 3, 6))
    extended = (cst(2026, 3, 6), cst(2026, 3, 9, 12))
    li = agent("li", out_of_office=(extended, week))
    assert why_unavailable(li, SHANGHAI_MORNING) is Unavailable.OUT_OF_OFFICE
    assert why_unavailable(li, cst(2026, 3, 9, 11)) is Unavailable.OUT_OF_OFFICE
    # back Monday at 12:00 during lunch: available when the afternoon starts
    assert next_available(li, SHANGHAI_MORNING) == cst(2026, 3, 9, 13, 30)
    assert next_available(li, cst(2026, 3, 10, 10)) == cst(2026, 3, 10, 10)


def test_away_is_a_switch_with_no_known_end() -> None:
    li = agent("li", away=True)
    assert why_unavailable(li, SHANGHAI_MORNING) is Unavailable.AWAY
    assert next_available(li, SHANGHAI_MORNING) is None


def test_round_robin_takes_turns_in_id_order_whatever_order_agents_come_in() -> None:
    team = [agent("chen"), agent("li"), agent("ana")]
    picks, last = [], None
    for _ in range(4):
        last = round_robin(team[::-1] if len(picks) % 2 else team, SHANGHAI_MORNING, last).agent
        picks.append(last)
    assert picks == ["ana", "chen", "li", "ana"]


def test_round_robin_skips_whoever_is_away_off_hours_or_out_and_says_why() -> None:
    team = [
        agent("ana", BERLIN_OFFICE),
        agent("bo", away=True),
        agent("chen", out_of_office=((cst(2026, 3, 1), cst(2026, 3, 8)),)),
        agent("li"),
    ]
    choice = round_robin(team, SHANGHAI_MORNING, last_assigned="li")
    assert choice == Choice(
        "li", {"ana": Unavailable.OFF_HOURS, "bo": Unavailable.AWAY, "chen": Unavailable.OUT_OF_OFFICE}
    )


def test_round_robin_passes_the_turn_on_when_the_last_agent_left_the_team() -> None:
    team = [agent("ana"), agent("li")]
    assert round_robin(team, SHANGHAI_MORNING, last_assigned="chen").agent == "li"
    assert round_robin(team, SHANGHAI_MORNING, last_assigned="zoe").agent == "ana"


def test_nobody_available_queues_to_the_team_with_every_reason() -> None:
    team = [agent("ana", BERLIN_OFFICE), agent("li", away=True)]
    for choice in (
        round_robin(team, SHANGHAI_MORNING, None),
        least_loaded(team, SHANGHAI_MORNING, {}),
    ):
        assert choice.queued and choice.agent is None
        assert choice.skipped == {"ana": Unavailable.OFF_HOURS, "li": Unavailable.AWAY}
        assert choice.back_at == cet(2026, 3, 3, 9)  # Ana, at 09:00 Berlin; Li's "away" has no end
    assert round_robin([], SHANGHAI_MORNING, None) == Choice(None, {}, None)


def test_a_berlin_agent_works_berlin_hours_across_the_dst_change() -> None:
    """Mon 2026-03-30 07:30 UTC is 09:30 CEST: in hours (a fixed +1 offset would say 08:30, not yet)."""
    ana = agent("ana", BERLIN_OFFICE)
    assert is_available(ana, datetime(2026, 3, 30, 7, 30, tzinfo=UTC))
    assert not is_available(ana, datetime(2026, 3, 27, 7, 30, tzinfo=UTC))  # Friday before: 08:30 CET
    assert next_available(ana, datetime(2026, 3, 27, 16, tzinfo=UTC)) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_least_loaded_picks_the_fewest_open_conversations_and_respects_capacity() -> None:
    team = [agent("ana"), agent("chen", capacity=3), agent("li")]
    counts = {"ana": 5, "chen": 3, "li": 4}
    choice = least_loaded(team, SHANGHAI_MORNING, counts)
    assert choice == Choice("li", {"chen": Unavailable.AT_CAPACITY})
    assert least_loaded(team, SHANGHAI_MORNING, {"ana": 1}).agent == "chen"  # missing counts are zero


def test_least_loaded_ties_take_turns_after_the_last_assigned() -> None:
    team = [agent("ana"), agent("chen"), agent("li")]
    even = {"ana": 2, "chen": 2, "li": 2}
    assert least_loaded(team, SHANGHAI_MORNING, even).agent == "ana"
    assert least_loaded(team, SHANGHAI_MORNING, even, last_assigned="ana").agent == "chen"
    assert least_loaded(team, SHANGHAI_MORNING, even, last_assigned="li").agent == "ana"
    assert least_loaded(team, SHANGHAI_MORNING, {**even, "ana": 1}, last_assigned="ana").agent == "ana"


def test_round_robin_applies_capacity_only_when_given_counts() -> None:
    team = [agent("ana", capacity=0), agent("li")]
    assert round_robin(team, SHANGHAI_MORNING, None).agent == "ana"
    assert round_robin(team, SHANGHAI_MORNING, None, open_counts={}).agent == "li"


def test_it_refuses_duplicate_agents_and_backwards_intervals() -> None:
    with pytest.raises(InputError) as caught:
        round_robin([agent("li"), agent("li")], SHANGHAI_MORNING, None)
    assert caught.value.key == "inbox.availability.duplicate_agent"
    start = datetime(2026, 3, 3, tzinfo=UTC)
    with pytest.raises(InputError):
        agent("li", out_of_office=((start, start - timedelta(hours=1)),))
    with pytest.raises(InputError):
        agent("li", capacity=-1)


PEOPLE = ["ana", "bo", "chen", "li", "mo", "zoe"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(PEOPLE), unique=True, max_size=6),
    st.sets(st.sampled_from(PEOPLE)),
    st.dictionaries(st.sampled_from(PEOPLE), st.integers(0, 5)),
    st.one_of(st.none(), st.sampled_from([*PEOPLE, "kai"])),  # kai: assigned last, then left the team
)
def test_choosers_pick_an_available_agent_and_least_loaded_the_least_loaded(
    ids: list[str], away: set[str], counts: dict[str, int], last: str | None
) -> None:
    team = [agent(name, away=name in away, capacity=4) for name in ids]
    free = {a.id for a in team if why_unavailable(a, SHANGHAI_MORNING, counts.get(a.id, 0)) is None}
    for choice in (
        round_robin(team, SHANGHAI_MORNING, last, counts),
        least_loaded(team, SHANGHAI_MORNING, counts, last),
    ):
        assert (choice.agent is None) == (not free)
        assert choice.agent is None or choice.agent in free
        assert set(choice.skipped) <= {a.id for a in team} - free  # round robin: those passed over on the way
        if choice.agent is None:
            assert set(choice.skipped) == {a.id for a in team}
    chosen = least_loaded(team, SHANGHAI_MORNING, counts, last).agent
    if chosen is not None:
        assert counts.get(chosen, 0) == min(counts.get(name, 0) for name in free)
