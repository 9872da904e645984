"""Acceptance (issue 6): SLA with a frozen clock across a weekend and Chinese public holidays, for a team in
Asia/Shanghai (09:00-12:00, 13:30-18:00, CN holidays and 调休) and a customer in Europe/Berlin; due times
exact, due-soon and breach each emitted once as the clock moves past them.

The clock is frozen by passing instants; the "worker" below is the loop the real one will run: compute the
state, put every fired event in the outbox under its identity, sleep until ``next_timer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mailwarden.core import clock
from mailwarden.inbox.sla_clock import Outcome, SlaState, TimerKind, compute, next_timer
from mailwarden.inbox.sla_policy import (
    AgentReply,
    ClockKind,
    CustomerMessage,
    Event,
    Priority,
    PriorityChange,
    SlaPolicy,
    Status,
    StatusChange,
    Targets,
)

from inbox_calendars import BERLIN, cet, cst, shanghai_team

H = timedelta(hours=1)
TEAM = shanghai_team()
POLICY = SlaPolicy(
    Targets(first_response=8 * H, next_response=4 * H),
    overrides={Priority.URGENT: Targets(first_response=2 * H)},
)


def state(history: Sequence[Event], at: datetime) -> SlaState:
    return compute("c1", history, POLICY, TEAM, at)


class Outbox:
    """The notify outbox as the worker sees it: a unique key per event; a repeat insert is a no-op."""

    def __init__(self) -> None:
        self.rows: dict[str, datetime] = {}
        self.repeats = 0

    def insert(self, key: str, at: datetime) -> None:
        if key in self.rows:
            self.repeats += 1
        else:
            self.rows[key] = at


def run_worker(
    history: Sequence[Event], start: datetime, end: datetime, extra_wakes: Sequence[datetime] = ()
) -> Outbox:
    """Wake at every timer (and at ``extra_wakes``: messages arriving, a restart), emit what has fired.

    Time is the project's frozen clock, moved to each wake-up as the real worker's sleep would move it;
    only the events recorded by then are seen, as in the database.
    """
    outbox = Outbox()
    wakes = sorted(extra_wakes)
    with clock.frozen(start) as frozen:
        while clock.now() <= end:
            now = clock.now()
            current = state([e for e in history if e.at <= now], now)
            for timer in current.fired:
                outbox.insert(timer.identity.key, now)
            timer = next_timer(current)
            candidates = ([timer.at] if timer else []) + [t for t in wakes if t > now][:1]
            if not candidates:
                break
            frozen.set(min(candidates))
    return outbox


def test_friday_evening_berlin_before_spring_festival() -> None:
    """Customer: Fri 2026-02-13 19:00 Berlin (CET, +1) = 18:00 UTC = Sat 02-14 02:00 Shanghai.
    Sat 02-14 is a make-up working day (调休). First response 8 h, due soon at 75 % = 6 h:
      due soon: Sat 09:00-12:00 (3 h) + 13:30-16:30 (3 h) -> 16:30 Shanghai = 08:30 UTC Sat 02-14
      breach:   Sat gives 7.5 h; Sun 02-15 .. Mon 02-23 are the Spring Festival holiday; 0.5 h on Tue 02-24
                -> 09:30 Shanghai = 01:30 UTC Tue 02-24 (02:30 Berlin)."""
    history = [CustomerMessage(cet(2026, 2, 13, 19))]
    due_soon, due = datetime(2026, 2, 14, 8, 30, tzinfo=UTC), datetime(2026, 2, 24, 1, 30, tzinfo=UTC)

    first = state(history, cet(2026, 2, 13, 19)).current
    assert first is not None and first.clock is ClockKind.FIRST_RESPONSE and first.number == 0
    assert (first.due_soon_at, first.due_at) == (due_soon, due)
    assert due.astimezone(BERLIN).strftime("%a %H:%M") == "Tue 02:30"

    timer = next_timer(state(history, cet(2026, 2, 13, 19)))
    assert timer is not None and (timer.at, timer.kind) == (due_soon, TimerKind.DUE_SOON)
    assert state(history, due_soon - timedelta(microseconds=1)).fired == ()
    at_due_soon = state(history, due_soon)
    assert [t.kind for t in at_due_soon.fired] == [TimerKind.DUE_SOON]
    follow = next_timer(at_due_soon)
    assert follow is not None and (follow.at, follow.kind) == (due, TimerKind.BREACH)

    breached = state(history, due)
    assert [t.kind for t in breached.fired] == [TimerKind.DUE_SOON, TimerKind.BREACH]
    assert breached.cycles[0].outcome is Outcome.BREACHED
    assert next_timer(breached) is None

    outbox = run_worker(history, cet(2026, 2, 13, 19), cst(2026, 3, 2), extra_wakes=[cst(2026, 2, 20, 12)])
    assert outbox.rows == {
        "sla/c1/first_response/0/due_soon": due_soon,
        "sla/c1/first_response/0/breach": due,
    }


def test_national_day_with_a_pause_waiting_on_the_customer() -> None:
    """Customer: Fri 2026-09-25 20:00 Berlin (CEST, +2) = 18:00 UTC = Sat 09-26 02:00 Shanghai.
    First response 8 h from Mon 09-28 09:00; our reply Mon 09-28 10:00 Shanghai: met, 1 h used.
    The customer answers Wed 09-30 17:00 Shanghai: next response (cycle 1), 4 h. We set it pending at 17:30
    (0.5 h used) without replying; the customer writes again Thu 10-08 10:00 (after Oct 1-7): the pause ends,
    the same cycle runs on with 3.5 h left:
      Oct 8 10:00-12:00 (2 h) + 13:30-15:00 (1.5 h)   -> breach    15:00 Shanghai = 07:00 UTC
      due soon at 3 h: 0.5 + 2 h + 13:30-14:00 (0.5 h) -> due soon 14:00 Shanghai = 06:00 UTC
    Our reply Fri 10-09 09:30 Shanghai: breached by 15:00-18:00 (3 h) + 09:00-09:30 (0.5 h) = 3.5 business
    hours, 18.5 hours on the wall clock."""
    history: list[Event] = [
        CustomerMessage(cet(2026, 9, 25, 20)),
        AgentReply(cst(2026, 9, 28, 10), agent="li"),
        StatusChange(cst(2026, 9, 28, 10), Status.PENDING_CUSTOMER),
        CustomerMessage(cst(2026, 9, 30, 17)),
        StatusChange(cst(2026, 9, 30, 17, 30), Status.PENDING_CUSTOMER),
        CustomerMessage(cst(2026, 10, 8, 10)),
        AgentReply(cst(2026, 10, 9, 9, 30), agent="li"),
    ]
    during_holiday = state(history, cst(2026, 10, 3, 12))
    first, second = during_holiday.cycles
    assert first.outcome is Outcome.MET and first.elapsed == H and first.due_at == cst(2026, 9, 29, 9, 30)
    assert second.clock is ClockKind.NEXT_RESPONSE and second.number == 1
    assert second.outcome is Outcome.PAUSED and second.due_at is None and second.elapsed == 0.5 * H
    assert next_timer(during_holiday) is None  # paused with no end in sight: nothing to wake for

    resumed = state(history, cst(2026, 10, 8, 10))
    cycle = resumed.current
    assert cycle is not None and cycle.number == 1  # the pause did not restart the clock
    assert (cycle.due_soon_at, cycle.due_at) == (cst(2026, 10, 8, 14), cst(2026, 10, 8, 15))
    assert cycle.pauses == ((cst(2026, 9, 30, 17, 30), cst(2026, 10, 8, 10)),)

    final = state(history, cst(2026, 10, 12))
    late = final.cycles[1]
    assert late.outcome is Outcome.BREACHED and late.replied_by == "li"
    assert (late.overdue_business, late.overdue) == (3.5 * H, 18.5 * H)

    outbox = run_worker(history, cet(2026, 9, 25, 20), cst(2026, 10, 12), extra_wakes=[e.at for e in history])
    assert outbox.rows == {
        "sla/c1/next_response/1/due_soon": cst(2026, 10, 8, 14),
        "sla/c1/next_response/1/breach": cst(2026, 10, 8, 15),
    }


@pytest.mark.parametrize(
    ("friday", "berlin_due"),
    [
        # Fri 03-27 20:00 CET (+1) = 19:00 UTC = Sat 03:00 Shanghai; Berlin springs forward on Sun 03-29
        (cet(2026, 3, 27, 20), "Mon 2026-03-30 05:00 +0200"),
        # Fri 10-23 20:00 CEST (+2) = 18:00 UTC = Sat 02:00 Shanghai; Berlin falls back on Sun 10-25
        (cet(2026, 10, 23, 20), "Mon 2026-10-26 04:00 +0100"),
    ],
)
def test_an_urgent_inquiry_across_berlins_dst_change(friday: datetime, berlin_due: str) -> None:
    """Raised to urgent on Saturday, the running cycle takes the urgent target, 2 h: Mon 09:00-11:00 Shanghai,
    due 11:00 Shanghai = 03:00 UTC, which Berlin reads as 05:00 CEST (+2) after springing forward and as
    04:00 CET (+1) after falling back — one hour apart in Berlin for the same Shanghai time, while the
    customer's Friday 20:00 was 19:00 and 18:00 UTC. Due soon at 1.5 h: 10:30 Shanghai = 02:30 UTC."""
    history = [CustomerMessage(friday), PriorityChange(friday + 12 * H, Priority.URGENT)]
    current = state(history, friday + 24 * H)
    cycle = current.current
    assert cycle is not None and cycle.priority is Priority.URGENT and cycle.target == 2 * H
    assert (
        cycle.due_at is not None
        and cycle.due_at.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %z") == berlin_due
    )
    monday = cycle.due_at.date()
    assert cycle.due_at == datetime(monday.year, monday.month, monday.day, 3, tzinfo=UTC)
    assert cycle.due_soon_at == datetime(monday.year, monday.month, monday.day, 2, 30, tzinfo=UTC)
    timer = next_timer(current)
    assert timer is not None and timer.at == cycle.due_soon_at

    outbox = run_worker(history, friday, friday + 7 * 24 * H, extra_wakes=[friday + 12 * H])
    assert outbox.rows == {
        "sla/c1/first_response/0/due_soon": cycle.due_soon_at,
        "sla/c1/first_response/0/breach": cycle.due_at,
    }
    assert outbox.repeats == 1  # the breach wake lists the due-soon again: the unique key made it a no-op
