"""Who can take a conversation now: availability of agents, and the round-robin and least-loaded choosers.

An agent is available when the "away" switch is off, no out-of-office interval covers the instant, the
instant lies in their working hours (their own calendar: their zone, their hours, their holidays) and, when
a capacity is set and counts are given, they hold fewer open conversations than it.

The choosers are pure: the caller passes the instant, the last agent assigned for the mailbox or team (a
value it stores) and the open-conversation counts, and stores what comes back. Order is by agent id, not by
the order the caller happens to list agents in, so a choice is the same on every worker. When nobody is
available the answer says so, with each agent's reason: the caller queues the conversation to the team
(it is never dropped) and can show why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mailwarden.core.errors import InputError
from mailwarden.inbox.hours import BusinessCalendar, as_utc

__all__ = [
    "AgentSchedule",
    "Choice",
    "Unavailable",
    "is_available",
    "least_loaded",
    "next_available",
    "round_robin",
    "why_unavailable",
]


class Unavailable(StrEnum):
    AWAY = "away"
    OUT_OF_OFFICE = "out_of_office"
    OFF_HOURS = "off_hours"
    AT_CAPACITY = "at_capacity"


@dataclass(frozen=True, slots=True)
class AgentSchedule:
    """When an agent can take work. Who they are (name, e-mail, chat ids) is ``access.models.Agent``; ``id``
    is whatever the caller keys agents by (that row's ``uid``), and the calendar is built from the agent's
    zone and hours, with their country's holidays."""

    id: str
    calendar: BusinessCalendar
    #: ``[start, end)`` instants, aware
    out_of_office: tuple[tuple[datetime, datetime], ...] = ()
    away: bool = False
    #: most open conversations the agent takes by assignment; None: no limit
    capacity: int | None = None

    def __post_init__(self) -> None:
        intervals = tuple(sorted((as_utc(start), as_utc(end)) for start, end in self.out_of_office))
        for start, end in intervals:
            if end <= start:
                raise InputError("inbox.availability.bad_interval", agent=self.id, start=start.isoformat())
        object.__setattr__(self, "out_of_office", intervals)
        if self.capacity is not None and self.capacity < 0:
            raise InputError("inbox.availability.bad_capacity", agent=self.id, value=self.capacity)


@dataclass(frozen=True, slots=True)
class Choice:
    """The agent chosen, or None: queue to the team. ``skipped`` says why each other agent was passed over."""

    agent: str | None
    skipped: Mapping[str, Unavailable] = field(default_factory=dict)
    #: when queued: the first instant an agent skipped for hours or out of office is back (None: nobody is
    #: expected — all away or at capacity, which only a person or a closed conversation changes)
    back_at: datetime | None = None

    @property
    def queued(self) -> bool:
        return self.agent is None


def why_unavailable(agent: AgentSchedule, at: datetime, open_count: int | None = None) -> Unavailable | None:
    """The first reason the agent cannot take a conversation at ``at``, or None when they can."""
    at = as_utc(at)
    if agent.away:
        return Unavailable.AWAY
    if _out_of_office_until(agent, at) is not None:
        return Unavailable.OUT_OF_OFFICE
    if not agent.calendar.is_open(at):
        return Unavailable.OFF_HOURS
    if agent.capacity is not None and open_count is not None and open_count >= agent.capacity:
        return Unavailable.AT_CAPACITY
    return None


def is_available(agent: AgentSchedule, at: datetime) -> bool:
    return why_unavailable(agent, at) is None


def next_available(agent: AgentSchedule, at: datetime) -> datetime | None:
    """When the agent is next in office and in working hours (``at`` itself if now); None while "away", a
    switch with no end."""
    if agent.away:
        return None
    moment = as_utc(at)
    for _ in range(len(agent.out_of_office) + 1):
        moment = agent.calendar.next_open(moment)
        back = _out_of_office_until(agent, moment)
        if back is None:
            return moment
        moment = back
    return agent.calendar.next_open(moment)  # pragma: no cover - each pass leaves one interval behind


def _out_of_office_until(agent: AgentSchedule, at: datetime) -> datetime | None:
    """The end of the out-of-office stretch covering ``at`` (touching intervals joined), or None."""
    until: datetime | None = None
    for start, end in agent.out_of_office:
        if start <= (until or at) < end:
            until = end
    return until


def round_robin(
    agents: Sequence[AgentSchedule],
    at: datetime,
    last_assigned: str | None,
    open_counts: Mapping[str, int] | None = None,
) -> Choice:
    """The next available agent after ``last_assigned`` in id order, wrapping round.

    ``last_assigned`` need not be a current member (they left the team): the turn passes to the next id
    after theirs. Counts, when given, only apply capacities.
    """
    order = _rotation(agents, last_assigned)
    skipped: dict[str, Unavailable] = {}
    for agent in order:
        reason = why_unavailable(agent, at, None if open_counts is None else open_counts.get(agent.id, 0))
        if reason is None:
            return Choice(agent.id, skipped)
        skipped[agent.id] = reason
    return _queued(order, at, skipped)


def least_loaded(
    agents: Sequence[AgentSchedule],
    at: datetime,
    open_counts: Mapping[str, int],
    last_assigned: str | None = None,
) -> Choice:
    """The available agent with the fewest open conversations; equally loaded agents take turns in
    round-robin order after ``last_assigned`` (by id when there is none), so ties are stable and fair."""
    order = _rotation(agents, last_assigned)
    skipped: dict[str, Unavailable] = {}
    best: tuple[int, int, str] | None = None
    for position, agent in enumerate(order):
        count = open_counts.get(agent.id, 0)
        reason = why_unavailable(agent, at, count)
        if reason is not None:
            skipped[agent.id] = reason
        elif best is None or (count, position) < best[:2]:
            best = (count, position, agent.id)
    if best is None:
        return _queued(order, at, skipped)
    return Choice(best[2], skipped)


def _queued(agents: Sequence[AgentSchedule], at: datetime, skipped: dict[str, Unavailable]) -> Choice:
    waiting = (Unavailable.OFF_HOURS, Unavailable.OUT_OF_OFFICE)
    returns = [next_available(a, at) for a in agents if skipped.get(a.id) in waiting]
    return Choice(None, skipped, min((r for r in returns if r is not None), default=None))


def _rotation(agents: Sequence[AgentSchedule], last_assigned: str | None) -> list[AgentSchedule]:
    ordered = sorted(agents, key=lambda agent: agent.id)
    ids = [agent.id for agent in ordered]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InputError("inbox.availability.duplicate_agent", agent=duplicate)
    if last_assigned is None:
        return ordered
    after = next((i for i, agent in enumerate(ordered) if agent.id > last_assigned), 0)
    return ordered[after:] + ordered[:after]
