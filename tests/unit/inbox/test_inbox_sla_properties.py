"""Properties that make "emitted once" hold for a worker that recomputes: on any history, what has fired
stays fired (same identity, same instant) as the clock moves on, and ``next_timer`` names exactly the next
event to fire when nothing happens meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.inbox.sla_clock import compute, next_timer
from mailwarden.inbox.sla_policy import (
    AgentReply,
    CustomerMessage,
    Event,
    Priority,
    PriorityChange,
    Reassigned,
    SlaPolicy,
    Status,
    StatusChange,
    Targets,
)

from inbox_calendars import shanghai_team

TEAM = shanghai_team()
H = timedelta(hours=1)
POLICY = SlaPolicy(
    Targets(first_response=8 * H, next_response=3 * H), overrides={Priority.URGENT: Targets(first_response=H)}
)
START = datetime(2026, 9, 24, tzinfo=UTC)  # across Mid-Autumn, National Day and the make-up days
minutes = st.integers(min_value=0, max_value=20 * 24 * 60)


def _event(offset: int, kind: int, extra: int) -> Event:
    at = START + timedelta(minutes=offset)
    if kind == 0:
        return CustomerMessage(at)
    if kind == 1:
        return AgentReply(at, agent="li")
    if kind == 2:
        status = list(Status)[extra % 4]
        until = at + timedelta(hours=extra) if status is Status.SNOOZED and extra % 3 else None
        return StatusChange(at, status, until)
    if kind == 3:
        return Reassigned(at, ("li", "ana", None)[extra % 3])
    return PriorityChange(at, list(Priority)[extra % 4])


# customer messages and status changes twice as often as the rest: they make cycles and pauses
kinds = st.sampled_from([0, 0, 1, 2, 2, 3, 4])
histories = st.lists(st.builds(_event, minutes, kinds, st.integers(0, 50)), min_size=1, max_size=14).map(
    lambda events: sorted(events, key=lambda e: e.at)
)


@settings(max_examples=120, deadline=None)
@given(histories, minutes, minutes)
def test_what_has_fired_stays_fired(history: list[Event], t1: int, t2: int) -> None:
    early, late = sorted((START + timedelta(minutes=t1), START + timedelta(minutes=t2)))
    before = compute("c", history, POLICY, TEAM, early)
    after = compute("c", history, POLICY, TEAM, late)
    assert {(t.identity, t.at) for t in before.fired} <= {(t.identity, t.at) for t in after.fired}


@settings(max_examples=120, deadline=None)
@given(histories, minutes)
def test_next_timer_is_the_next_thing_to_fire_when_nothing_happens_meanwhile(
    history: list[Event], t: int
) -> None:
    now = START + timedelta(minutes=t)
    state = compute("c", history, POLICY, TEAM, now)
    timer = next_timer(state)
    if timer is None or any(now < e.at <= timer.at for e in history):
        return
    just_before = compute("c", history, POLICY, TEAM, timer.at - timedelta(microseconds=1))
    at_timer = compute("c", history, POLICY, TEAM, timer.at)
    assert just_before.fired == state.fired
    assert timer in at_timer.fired
    assert len(at_timer.fired) > len(state.fired)
