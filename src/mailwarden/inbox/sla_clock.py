"""SLA state of one conversation: a pure function of its history, its policy, a calendar and an instant.

A conversation's responses are measured in *cycles*. Cycle 0 is the first response: it starts at the first
customer message (unless we wrote first) and ends at our first reply. Each later cycle is a next response:
it starts at the first customer message after one of our replies — so a new message from the customer
restarts the next-response clock — and ends at our next reply. Further customer messages while a cycle runs
do not restart it: the oldest unanswered message is what the customer has waited on.

Pauses (see :class:`~mailwarden.inbox.sla_policy.SlaPolicy`) stop the cycle's business time; they never end
or restart a cycle. Setting a conversation to pending and back must not buy a fresh target, or the SLA
would measure how often agents click, not how long customers wait. Only our reply ends a cycle.

The worker does not sweep. It calls :func:`compute` at an instant, writes every :attr:`SlaState.fired`
event to the notify outbox keyed by its :class:`TimerIdentity` (a unique key, so a repeat is a no-op), and
sleeps until :func:`next_timer` — or until the conversation changes. Because ``fired`` lists *every* event
whose instant has passed, a worker that crashed or slept too long catches up on the next call, and because
the identity is (conversation, clock, cycle, event), catching up never emits one twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwarden.inbox.hours import BusinessCalendar, as_utc
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
)
from mailwarden.inbox.sla_state import Cycle, Outcome, SlaState, Timer, TimerIdentity, TimerKind

__all__ = ["Cycle", "Outcome", "SlaState", "Timer", "TimerIdentity", "TimerKind", "compute", "next_timer"]


def next_timer(state: SlaState) -> Timer | None:
    """The next instant something must be emitted, after the state's instant; None: nothing is scheduled."""
    return state.pending[0] if state.pending else None


@dataclass(slots=True)
class _Open:
    """A cycle being built while the history is read."""

    clock: ClockKind
    number: int
    started_at: datetime
    priority: Priority
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    ended_at: datetime | None = None
    replied_by: str | None = None
    #: priority changes while the cycle ran, after the one it started with
    changes: list[tuple[datetime, Priority]] = field(default_factory=list)


class _Reader:
    def __init__(self, policy: SlaPolicy, priority: Priority) -> None:
        self.policy = policy
        self.status = Status.OPEN
        self.snooze_until: datetime | None = None
        self.priority = priority
        self.assignee: str | None = None
        self.replied = False
        self.cycles: list[_Open] = []

    @property
    def running(self) -> _Open | None:
        last = self.cycles[-1] if self.cycles else None
        return last if last is not None and last.ended_at is None else None

    def paused(self) -> bool:
        return self.status in self.policy.pausing

    def set_status(self, status: Status, when: datetime, until: datetime | None = None) -> None:
        was = self.paused()
        self.status, self.snooze_until = status, (until if status is Status.SNOOZED else None)
        now = self.paused()
        cycle = self.running
        if cycle is not None and was != now:
            if now:
                cycle.pauses.append((when, None))
            else:
                cycle.pauses[-1] = (cycle.pauses[-1][0], when)

    def expire_snooze(self, upto: datetime) -> None:
        if self.status is Status.SNOOZED and self.snooze_until is not None and self.snooze_until <= upto:
            self.set_status(Status.OPEN, self.snooze_until)

    def read(self, event: Event) -> None:
        when = as_utc(event.at)
        self.expire_snooze(when)
        if isinstance(event, CustomerMessage):
            if self.status is not Status.OPEN:
                self.set_status(Status.OPEN, when)
            if self.running is None:
                clock = ClockKind.NEXT_RESPONSE if self.cycles or self.replied else ClockKind.FIRST_RESPONSE
                number = sum(1 for c in self.cycles if c.clock is ClockKind.NEXT_RESPONSE)
                number = number + 1 if clock is ClockKind.NEXT_RESPONSE else 0
                self.cycles.append(_Open(clock, number, when, self.priority))
        elif isinstance(event, AgentReply):
            self.replied = True
            cycle = self.running
            if cycle is not None:
                if cycle.pauses and cycle.pauses[-1][1] is None:
                    cycle.pauses[-1] = (cycle.pauses[-1][0], when)
                cycle.ended_at, cycle.replied_by = when, event.agent
        elif isinstance(event, StatusChange):
            # a snooze "until" in the past ends at once rather than un-counting time already counted
            until = None if event.until is None else max(as_utc(event.until), when)
            self.set_status(event.status, when, until)
        elif isinstance(event, Reassigned):
            self.assignee = event.agent
        elif isinstance(event, PriorityChange):
            self.priority = event.priority
            if self.running is not None:
                self.running.changes.append((when, event.priority))


def compute(
    conversation: str,
    history: Iterable[Event],
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    at: datetime,
    *,
    priority: Priority = Priority.NORMAL,
) -> SlaState:
    """The SLA state at ``at``. Events after ``at`` are ignored, so a state can be computed for any past
    instant; events at the same instant are read in the order given."""
    at = as_utc(at)
    reader = _Reader(policy, priority)
    for event in sorted((e for e in history if as_utc(e.at) <= at), key=lambda e: as_utc(e.at)):
        reader.read(event)
    reader.expire_snooze(at)
    resume = reader.snooze_until if reader.status is Status.SNOOZED else None
    cycles = tuple(_finish(c, policy, calendar, at, resume) for c in reader.cycles)
    timers = sorted((t for c in cycles for t in _live_timers(c, conversation, at)), key=lambda t: t.at)
    return SlaState(
        conversation=conversation,
        at=at,
        status=reader.status,
        priority=reader.priority,
        assignee=reader.assignee,
        cycles=cycles,
        fired=tuple(t for t in timers if t.at <= at),
        pending=tuple(t for t in timers if t.at > at),
    )


def _live_timers(cycle: Cycle, conversation: str, at: datetime) -> Iterable[Timer]:
    """A cycle's events that have fired, or will fire unless something changes: those before its reply."""
    for timer in cycle.timers(conversation):
        if cycle.ended_at is None or timer.at < cycle.ended_at:
            yield timer


def _finish(
    cycle: _Open, policy: SlaPolicy, calendar: BusinessCalendar, at: datetime, resume: datetime | None
) -> Cycle:
    horizon = cycle.ended_at or at
    runs = _runs(cycle, horizon)
    elapsed = _counted(calendar, runs, horizon)
    priority = cycle.changes[-1][1] if cycle.changes else cycle.priority
    paused_now = cycle.ended_at is None and bool(cycle.pauses) and cycle.pauses[-1][1] is None
    # where the clock would run on past the horizon: from the reply (a projection, for the record), from
    # now, from the end of a snooze — or nowhere, while paused without an end
    onward = horizon if not paused_now else resume
    # the target in force from each instant on: a priority change moves the target from then on, and
    # never takes back an event that already fell due under the priority before it
    steps = [
        (when, policy.target(cycle.clock, p))
        for when, p in [(cycle.started_at, cycle.priority), *cycle.changes]
    ]
    soon_steps = [(when, None if t is None else t * policy.due_soon_fraction) for when, t in steps]
    due_soon = _first_reach(calendar, runs, onward, soon_steps)
    due = _first_reach(calendar, runs, onward, steps)
    late = due is not None and (due < cycle.ended_at if cycle.ended_at is not None else due <= at)
    if late:
        outcome = Outcome.BREACHED
    elif cycle.ended_at is not None:
        outcome = Outcome.MET
    else:
        outcome = Outcome.PAUSED if paused_now else Outcome.RUNNING
    overdue_business = timedelta(0)
    if late and due is not None:
        missed = next(t for w, t in reversed(steps) if w <= due)  # the target the breach was measured by
        overdue_business = max(elapsed - (missed or timedelta(0)), timedelta(0))
    return Cycle(
        clock=cycle.clock,
        number=cycle.number,
        started_at=cycle.started_at,
        priority=priority,
        target=policy.target(cycle.clock, priority),
        pauses=tuple(cycle.pauses),
        ended_at=cycle.ended_at,
        replied_by=cycle.replied_by,
        elapsed=elapsed,
        due_soon_at=due_soon,
        due_at=due,
        outcome=outcome,
        overdue_business=overdue_business,
        overdue=horizon - due if late and due else timedelta(0),
    )


def _first_reach(
    calendar: BusinessCalendar,
    runs: list[tuple[datetime, datetime]],
    onward: datetime | None,
    steps: list[tuple[datetime, timedelta | None]],
) -> datetime | None:
    """The first instant the counted time reaches the amount in force then (None in a step: no target).

    A step whose amount is already counted when it begins (a cycle raised to urgent after its urgent target
    has passed) falls due at once, when it begins.
    """
    for index, (begin, amount) in enumerate(steps):
        if amount is None:
            continue
        end = steps[index + 1][0] if index + 1 < len(steps) else None
        if _counted(calendar, runs, begin) >= amount:
            return begin
        reached = _reach(calendar, runs, onward, amount)
        if reached is not None and (end is None or reached < end):
            return reached
    return None


def _counted(calendar: BusinessCalendar, runs: list[tuple[datetime, datetime]], upto: datetime) -> timedelta:
    return sum((calendar.business_time_between(a, min(b, upto)) for a, b in runs if a < upto), timedelta(0))


def _runs(cycle: _Open, horizon: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches the clock ran, from the start to ``horizon``, between the pauses."""
    runs: list[tuple[datetime, datetime]] = []
    start: datetime | None = cycle.started_at
    for paused, resumed in cycle.pauses:
        if start is not None and paused > start:
            runs.append((start, min(paused, horizon)))
        start = resumed
    if start is not None and start < horizon:
        runs.append((start, horizon))
    return runs


def _reach(
    calendar: BusinessCalendar,
    runs: list[tuple[datetime, datetime]],
    onward: datetime | None,
    amount: timedelta,
) -> datetime | None:
    """The instant the clock has counted ``amount``: within a past run, or projected from ``onward``."""
    remaining = amount
    for begin, end in runs:
        counted = calendar.business_time_between(begin, end)
        if counted >= remaining:
            return calendar.add_business_time(begin, remaining)
        remaining -= counted
    return None if onward is None else calendar.add_business_time(onward, remaining)
