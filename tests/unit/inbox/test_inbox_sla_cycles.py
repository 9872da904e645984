"""How the SLA clock reads a history: cycles, pauses, snoozes, reassignment, priorities, policy checks.

A plain 09:00-17:00 Monday-Friday UTC calendar keeps the arithmetic in the docstrings short; the
acceptance file covers Shanghai, Berlin and the holidays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mailwarden.core.errors import ConfigError
from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, WeeklyHours
from mailwarden.inbox.sla_clock import Outcome, SlaState, TimerKind, compute, next_timer
from mailwarden.inbox.sla_policy import (
    AgentReply,
    ClockKind,
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
from mailwarden.notify.alerts import ALERT_KINDS, Alert

H = timedelta(hours=1)
OFFICE = BusinessCalendar(CalendarSpec("UTC", WeeklyHours.every("09:00-17:00")))
POLICY = SlaPolicy(Targets(first_response=4 * H, next_response=2 * H))


def mon(hour: int, minute: int = 0, *, week_day: int = 0) -> datetime:
    """2026-03-02 is a Monday; ``week_day`` moves on from it."""
    return datetime(2026, 3, 2 + week_day, hour, minute, tzinfo=UTC)


def state(history: Sequence[Event], at: datetime, policy: SlaPolicy = POLICY) -> SlaState:
    return compute("42", history, policy, OFFICE, at)


def test_first_reply_in_time_is_met_and_leaves_nothing_to_wake_for() -> None:
    history = [CustomerMessage(mon(9)), AgentReply(mon(10), agent="ana")]
    result = state(history, mon(12))
    (cycle,) = result.cycles
    assert (cycle.outcome, cycle.elapsed, cycle.replied_by) == (Outcome.MET, H, "ana")
    assert cycle.due_at == mon(13)  # where it would have been due: 09:00 + 4 h
    assert result.current is None and result.fired == () and next_timer(result) is None


def test_further_customer_messages_do_not_restart_a_running_cycle() -> None:
    history = [CustomerMessage(mon(9)), CustomerMessage(mon(11)), CustomerMessage(mon(12))]
    assert [c.started_at for c in state(history, mon(12)).cycles] == [mon(9)]


def test_a_customer_message_after_our_reply_starts_the_next_response_clock() -> None:
    """Cycle 1 from 14:00, 2 h: due 16:00; due soon at 1.5 h: 15:30. Cycle 2 from Tue 16:00: 1 h on Tuesday,
    1 h on Wednesday from 09:00: due Wed 10:00."""
    history = [
        CustomerMessage(mon(9)),
        AgentReply(mon(10)),
        CustomerMessage(mon(14)),
        AgentReply(mon(15)),
        CustomerMessage(mon(16, week_day=1)),
    ]
    result = state(history, mon(16, week_day=1))
    assert [(c.clock, c.number) for c in result.cycles] == [
        (ClockKind.FIRST_RESPONSE, 0),
        (ClockKind.NEXT_RESPONSE, 1),
        (ClockKind.NEXT_RESPONSE, 2),
    ]
    assert (result.cycles[1].due_soon_at, result.cycles[1].due_at) == (mon(15, 30), mon(16))
    assert result.current is not None and result.current.due_at == mon(10, week_day=2)


def test_when_we_write_first_there_is_no_first_response_clock() -> None:
    history = [AgentReply(mon(9)), CustomerMessage(mon(10))]
    (cycle,) = state(history, mon(10)).cycles
    assert (cycle.clock, cycle.number, cycle.due_at) == (ClockKind.NEXT_RESPONSE, 1, mon(12))


def test_toggling_pending_without_replying_pauses_but_never_restarts() -> None:
    """09:00 start, 4 h target. Pending 10:00-11:00 and 12:00-13:00: 2 h paused, 3 h counted by 14:00;
    due 15:00 — not 13:00 (as if no pauses) and not 17:00 (a fresh target from 13:00)."""
    history = [
        CustomerMessage(mon(9)),
        StatusChange(mon(10), Status.PENDING_CUSTOMER),
        StatusChange(mon(11), Status.OPEN),
        StatusChange(mon(12), Status.PENDING_CUSTOMER),
        StatusChange(mon(13), Status.OPEN),
    ]
    (cycle,) = state(history, mon(14)).cycles
    assert (cycle.number, cycle.elapsed, cycle.due_at, cycle.outcome) == (0, 3 * H, mon(15), Outcome.RUNNING)
    assert len(cycle.pauses) == 2


def test_closing_pauses_and_a_customer_message_reopens() -> None:
    """Closed at 10:00 (1 h used) and reopened by the customer on Tuesday 09:00: 3 h left -> Tue 12:00."""
    history = [CustomerMessage(mon(9)), StatusChange(mon(10), Status.CLOSED)]
    closed = state(history, mon(9, week_day=1))
    assert closed.status is Status.CLOSED and closed.cycles[0].outcome is Outcome.PAUSED
    assert next_timer(closed) is None
    history.append(CustomerMessage(mon(9, week_day=1)))
    reopened = state(history, mon(9, week_day=1))
    assert reopened.status is Status.OPEN and len(reopened.cycles) == 1
    assert reopened.cycles[0].due_at == mon(12, week_day=1)


def test_a_snooze_with_an_end_resumes_by_itself_and_the_timer_is_known_in_advance() -> None:
    """Snoozed at 10:00 (1 h used) until Tue 09:00: 3 h left, due Tue 12:00; due soon at 3 h: Tue 11:00."""
    history = [CustomerMessage(mon(9)), StatusChange(mon(10), Status.SNOOZED, until=mon(9, week_day=1))]
    snoozed = state(history, mon(15))
    assert snoozed.cycles[0].outcome is Outcome.PAUSED
    timer = next_timer(snoozed)
    assert timer is not None and (timer.at, timer.kind) == (mon(11, week_day=1), TimerKind.DUE_SOON)
    later = state(history, mon(11, week_day=1))
    assert later.status is Status.OPEN and later.cycles[0].pauses == ((mon(10), mon(9, week_day=1)),)
    assert [t.at for t in later.fired] == [mon(11, week_day=1)]


def test_a_snooze_until_a_past_instant_ends_at_once() -> None:
    history = [CustomerMessage(mon(9)), StatusChange(mon(10), Status.SNOOZED, until=mon(8))]
    (cycle,) = state(history, mon(12)).cycles
    assert (cycle.elapsed, cycle.due_at, cycle.outcome) == (3 * H, mon(13), Outcome.RUNNING)


def test_a_policy_can_keep_the_clock_running_while_snoozed_but_never_while_closed() -> None:
    policy = SlaPolicy(Targets(first_response=4 * H), pausing=frozenset({Status.PENDING_CUSTOMER}))
    assert Status.CLOSED in policy.pausing
    history = [CustomerMessage(mon(9)), StatusChange(mon(10), Status.SNOOZED, until=mon(9, week_day=2))]
    (cycle,) = state(history, mon(12), policy).cycles
    assert (cycle.outcome, cycle.due_at) == (Outcome.RUNNING, mon(13))
    assert state(history, mon(13), policy).cycles[0].outcome is Outcome.BREACHED


def test_reassignment_changes_who_not_when() -> None:
    history = [CustomerMessage(mon(9)), Reassigned(mon(9, 5), "ana"), Reassigned(mon(11), "bo")]
    before = state([CustomerMessage(mon(9))], mon(12))
    after = state(history, mon(12))
    assert after.assignee == "bo"
    assert after.cycles == before.cycles and after.fired == before.fired
    assert [t.identity.key for t in after.fired] == ["42/first_response/0/due_soon".join(("sla/", ""))]


def test_priority_overrides_fall_back_to_the_policy_target() -> None:
    policy = SlaPolicy(
        Targets(first_response=4 * H, next_response=2 * H),
        overrides={Priority.HIGH: Targets(first_response=H)},
    )
    assert policy.target(ClockKind.FIRST_RESPONSE, Priority.HIGH) == H
    assert policy.target(ClockKind.NEXT_RESPONSE, Priority.HIGH) == 2 * H
    assert policy.target(ClockKind.FIRST_RESPONSE, Priority.LOW) == 4 * H
    history = [CustomerMessage(mon(9)), PriorityChange(mon(9, 30), Priority.HIGH)]
    (cycle,) = state(history, mon(9, 30), policy).cycles
    assert (cycle.priority, cycle.due_at) == (Priority.HIGH, mon(10))
    assert compute("42", history, policy, OFFICE, mon(9, 30), priority=Priority.HIGH).cycles[0].due_at == mon(
        10
    )


def test_a_clock_without_a_target_is_measured_but_never_fires() -> None:
    policy = SlaPolicy(Targets(next_response=2 * H))
    result = state([CustomerMessage(mon(9))], mon(9, week_day=4), policy)
    (cycle,) = result.cycles
    assert (cycle.target, cycle.due_at, cycle.elapsed, cycle.outcome) == (None, None, 32 * H, Outcome.RUNNING)
    assert result.fired == () and next_timer(result) is None


def test_a_reply_before_due_soon_cancels_both_events_and_a_reply_between_cancels_the_breach() -> None:
    quick = state([CustomerMessage(mon(9)), AgentReply(mon(11))], mon(17))
    assert quick.fired == ()
    slower = state([CustomerMessage(mon(9)), AgentReply(mon(12, 30))], mon(17))
    assert [t.kind for t in slower.fired] == [TimerKind.DUE_SOON]
    assert slower.cycles[0].outcome is Outcome.MET


def test_a_breach_says_by_how_much_in_business_and_in_wall_time() -> None:
    """Due 13:00, replied 20:00: 7 wall hours late, 4 business hours (13:00-17:00) over the target."""
    (cycle,) = state([CustomerMessage(mon(9)), AgentReply(mon(20))], mon(21)).cycles
    assert (cycle.outcome, cycle.overdue, cycle.overdue_business) == (Outcome.BREACHED, 7 * H, 4 * H)


def test_a_reply_after_closing_time_past_a_due_time_at_closing_is_late_with_no_business_overrun() -> None:
    """An 8 h target from 09:00 is due at 17:00 sharp; a reply at 20:00 is late (3 wall hours) though no
    business time passed after the due time."""
    policy = SlaPolicy(Targets(first_response=8 * H))
    (cycle,) = state([CustomerMessage(mon(9)), AgentReply(mon(20))], mon(21), policy).cycles
    assert (cycle.due_at, cycle.outcome, cycle.overdue, cycle.overdue_business) == (
        mon(17),
        Outcome.BREACHED,
        3 * H,
        0 * H,
    )


def test_the_state_is_a_function_of_the_instant_events_later_than_it_are_ignored() -> None:
    history = [AgentReply(mon(10)), CustomerMessage(mon(9))]  # given out of order
    assert state(history, mon(9, 30)).current is not None
    assert state(history, mon(10)).current is None
    assert state(history, mon(8)).cycles == ()


def test_identities_are_stable_as_the_history_grows() -> None:
    history: list[Event] = [CustomerMessage(mon(9))]
    early = {t.identity for t in state(history, mon(14)).fired}
    history += [AgentReply(mon(15)), CustomerMessage(mon(16)), Reassigned(mon(16), "bo")]
    late = {t.identity for t in state(history, mon(17, week_day=1)).fired}
    assert early <= late
    assert {(i.clock, i.cycle, i.kind) for i in late - early} == {
        (ClockKind.NEXT_RESPONSE, 1, TimerKind.DUE_SOON),
        (ClockKind.NEXT_RESPONSE, 1, TimerKind.BREACH),
    }


@pytest.mark.parametrize(
    ("make", "key"),
    [
        (lambda: Targets(first_response=timedelta(0)), "inbox.sla.bad_target"),
        (lambda: Targets(next_response=-H), "inbox.sla.bad_target"),
        (lambda: SlaPolicy(Targets(), due_soon_fraction=1.0), "inbox.sla.bad_fraction"),
        (lambda: SlaPolicy(Targets(), due_soon_fraction=0), "inbox.sla.bad_fraction"),
    ],
)
def test_it_refuses_a_policy_that_cannot_work(make: object, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.key == key


def test_fired_timers_become_notify_alerts_keyed_by_their_identity() -> None:
    """Due 13:00; at 14:00 both events have fired. Each carries the due time "reply by" shows."""
    fired = state([CustomerMessage(mon(9))], mon(14)).fired
    alerts = [
        Alert(kind=t.alert_kind, key=t.identity.key, params={"due": t.due.isoformat()})
        for t in fired
        if t.due
    ]
    assert [(a.kind, a.key) for a in alerts] == [
        ("sla.due_soon", "sla/42/first_response/0/due_soon"),
        ("sla.breach", "sla/42/first_response/0/breach"),
    ]
    assert {a.kind for a in alerts} <= set(ALERT_KINDS)
    assert {a.params["due"] for a in alerts} == {mon(13).isoformat()}


def test_a_policy_reads_from_stored_settings_and_back() -> None:
    stored = {
        "first_response": "8h",
        "next_response": "1h30m",
        "due_soon": 0.8,
        "pause_on": ["pending_customer"],
        "priority": {"urgent": {"first_response": "2h"}, "low": {"next_response": 1440}},
    }
    policy = SlaPolicy.from_mapping(stored)
    assert policy.targets == Targets(first_response=8 * H, next_response=1.5 * H)
    assert policy.target(ClockKind.FIRST_RESPONSE, Priority.URGENT) == 2 * H
    assert policy.target(ClockKind.NEXT_RESPONSE, Priority.LOW) == 24 * H
    assert policy.pausing == {Status.PENDING_CUSTOMER, Status.CLOSED}
    assert SlaPolicy.from_mapping(policy.as_mapping()) == policy
    assert SlaPolicy.from_mapping({"first_response": "4h"}).pausing == POLICY.pausing


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ({"first_response": "2d"}, "inbox.sla.bad_duration"),
        ({"first_response": "h"}, "inbox.sla.bad_duration"),
        ({"first_reponse": "4h"}, "inbox.sla.unknown_key"),
        ({"priority": {"urgent": {"due_soon": 0.5}}}, "inbox.sla.unknown_key"),
        ({"priority": {"critical": {"first_response": "1h"}}}, "inbox.sla.bad_value"),
        ({"pause_on": ["waiting"]}, "inbox.sla.bad_value"),
        ({"due_soon": "most"}, "inbox.sla.bad_value"),
    ],
)
def test_it_refuses_stored_settings_it_cannot_read(stored: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_mapping(stored)
    assert caught.value.key == key


def test_lowering_the_priority_never_takes_back_an_event_that_fell_due() -> None:
    """High: 1 h target, due soon 09:45, due 10:00. At 10:30 lowered to normal (4 h): the breach at 10:00
    stays (the alert is out); the cycle's target is now 4 h, and nothing more fires for it."""
    policy = SlaPolicy(Targets(first_response=4 * H), overrides={Priority.HIGH: Targets(first_response=H)})
    history = [CustomerMessage(mon(9)), PriorityChange(mon(10, 30), Priority.LOW)]
    result = compute("42", history, policy, OFFICE, mon(16), priority=Priority.HIGH)
    (cycle,) = result.cycles
    assert (cycle.due_soon_at, cycle.due_at, cycle.outcome) == (mon(9, 45), mon(10), Outcome.BREACHED)
    assert (cycle.priority, cycle.target, cycle.overdue_business) == (Priority.LOW, 4 * H, 6 * H)
    assert [t.at for t in result.fired] == [mon(9, 45), mon(10)] and next_timer(result) is None


def test_raising_the_priority_past_its_target_falls_due_at_once() -> None:
    """Normal (4 h) from 09:00; raised to high (1 h) at 11:00, 2 h in: due soon and breach both at 11:00."""
    policy = SlaPolicy(Targets(first_response=4 * H), overrides={Priority.HIGH: Targets(first_response=H)})
    history = [CustomerMessage(mon(9)), PriorityChange(mon(11), Priority.HIGH)]
    (cycle,) = state(history, mon(11), policy).cycles
    assert (cycle.due_soon_at, cycle.due_at, cycle.outcome) == (mon(11), mon(11), Outcome.BREACHED)
    assert state(history, mon(10, 59), policy).cycles[0].due_at == mon(13)


def test_the_state_prints_as_json() -> None:
    history = [
        CustomerMessage(mon(9)),
        StatusChange(mon(10), Status.PENDING_CUSTOMER),
        CustomerMessage(mon(11)),
    ]
    data = json.loads(json.dumps(state(history, mon(14)).as_dict()))
    (cycle,) = data["cycles"]
    assert cycle["due_at"] == "2026-03-02T14:00:00+00:00" and cycle["pauses"] == [
        ["2026-03-02T10:00:00+00:00", "2026-03-02T11:00:00+00:00"]
    ]
    assert [t["key"] for t in data["fired"]] == [
        "sla/42/first_response/0/due_soon",
        "sla/42/first_response/0/breach",
    ]
    assert data["pending"] == [] and data["status"] == "open"
