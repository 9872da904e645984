"""Agents' availability: working hours, out of office, the away switch, capacity — stored, and turned into
:class:`~mailwarden.inbox.availability.AgentSchedule` values for the choosers.

An agent's working hours are the team's calendar in the agent's own time zone unless the agent has hours
of their own; what they set is laid over the team's calendar key by key (``hours``, ``timezone``,
``country``, ...), so a salesperson in Berlin with a team in Shanghai keeps the team's holidays unless
they name another country. An agent in two teams can thus have two calendars: schedules are built per team.

Every change is an event of the ``inbox`` audit chain (target ``agent:<name>``). None of these setters
assigns anything: after a change that can make someone available (away off, an absence removed, a
capacity raised) the caller runs :meth:`mailwarden.inbox.assign.Assigner.assign_waiting`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.audit.service import record as audit_record
from mailwarden.core import clock
from mailwarden.core.errors import ConfigError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.assign_decide import Member
from mailwarden.inbox.availability import AgentSchedule, next_available, why_unavailable
from mailwarden.inbox.events import CHAIN
from mailwarden.inbox.hours import BusinessCalendar, as_utc
from mailwarden.inbox.hours_spec import CalendarSpec, WeeklyHours
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.models_assign import AgentAbsence, AgentSettings
from mailwarden.inbox.teams import TeamPolicy, Teams

__all__ = [
    "Absence",
    "AgentStatus",
    "Roster",
    "add_absence",
    "agent_status",
    "list_absences",
    "load_roster",
    "open_counts",
    "parse_hours",
    "parse_when",
    "remove_absence",
    "set_away",
    "set_capacity",
    "set_hours",
]

_GROUP = re.compile(r"[;\s]+(?=[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?\s*=)")
_HOURS_KEYS = frozenset({"hours", "timezone", "country", "subdivision", "extra_holidays", "extra_workdays"})


def parse_hours(text: str) -> dict[str, str]:
    """``"mon-fri=09:00-12:00,13:30-18:00; sat=10:00-14:00"`` as a ``hours`` mapping (checked)."""
    hours: dict[str, str] = {}
    for group in _GROUP.split(text.strip()):
        days, sep, intervals = group.strip(" ;").partition("=")
        if not sep or not days.strip() or not intervals.strip():
            raise InputError("inbox.assign.bad_hours", value=text)
        hours[days.strip().lower().replace(" ", "")] = intervals.strip()
    try:
        WeeklyHours.parse(hours)
    except ConfigError as exc:
        raise InputError("inbox.assign.bad_hours_detail", value=text, detail=exc.render("en")) from exc
    return hours


def parse_when(text: str, zone: str | None, *, end: bool = False) -> datetime:
    """An instant for an absence: ISO 8601, in ``zone`` (the agent's) when it names none. A date alone is
    the start of that day — or, for the ``end`` of an absence, the end of it: "off 24 to 28 December" is
    off on the 28th too."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            when = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("inbox.assign.bad_time", value=text) from None
    if when.tzinfo is None:
        try:
            when = when.replace(tzinfo=ZoneInfo(zone or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError("agent.bad_timezone", value=zone) from None
    return as_utc(when)


@functools.lru_cache(maxsize=256)
def _calendar(spec_json: str) -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec.from_mapping(json.loads(spec_json)))


def calendar_for(team: TeamPolicy, timezone: str | None, own: Mapping[str, Any] | None) -> BusinessCalendar:
    """The team's calendar in ``timezone`` (the agent's), with the agent's own keys laid over it."""
    spec = team.calendar.spec.as_mapping()
    if timezone:
        spec["timezone"] = timezone
    spec.update(own or {})
    return _calendar(json.dumps(spec, sort_keys=True))


@dataclass
class Roster:
    """Every agent with their availability, loaded once (a batch, a command) and read many times."""

    agents: list[Agent]
    settings: dict[int, AgentSettings]
    absences: dict[int, list[tuple[datetime, datetime]]]
    _members: dict[str, dict[str, Member]] = field(default_factory=dict)

    def by_name(self, name: str) -> Agent | None:
        return next((a for a in self.agents if a.name == name), None)

    def members(self, team: TeamPolicy) -> dict[str, Member]:
        """Every agent by name, with a schedule on ``team``'s calendar (owners and rules may name agents
        outside the team: the decision needs them to say so)."""
        found = self._members.get(team.name)
        if found is None:
            found = self._members[team.name] = {
                a.name: Member(a.name, self.schedule(a, team)) for a in self.agents
            }
        return found

    def schedule(self, agent: Agent, team: TeamPolicy) -> AgentSchedule:
        own = self.settings.get(agent.id)
        return AgentSchedule(
            id=agent.uid,
            calendar=calendar_for(team, agent.timezone, own.hours if own else None),
            out_of_office=tuple(self.absences.get(agent.id, ())),
            away=bool(own and own.away),
            capacity=own.capacity if own else None,
        )


async def load_roster(session: AsyncSession, at: datetime) -> Roster:
    """Three queries (agents with identities, settings, absences not over at ``at``)."""
    agents = list(await session.scalars(select(Agent).order_by(Agent.name)))
    settings = {row.agent_id: row for row in await session.scalars(select(AgentSettings))}
    absences: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in await session.scalars(
        select(AgentAbsence).where(AgentAbsence.ends_at > at).order_by(AgentAbsence.starts_at)
    ):
        absences.setdefault(row.agent_id, []).append((row.starts_at, row.ends_at))
    return Roster(agents, settings, absences)


async def open_counts(session: AsyncSession) -> dict[str, int]:
    """Conversations not closed, per assignee uid: what capacities and least-loaded count."""
    rows = await session.execute(
        select(Agent.uid, func.count(Conversation.id))
        .join(Conversation, Conversation.assignee_id == Agent.id)
        .where(Conversation.status != "closed")
        .group_by(Agent.uid)
    )
    return {uid: int(count) for uid, count in rows.all()}


async def _agent(session: AsyncSession, name: str) -> Agent:
    agent = await session.scalar(select(Agent).where(Agent.name == name))
    if agent is None:
        raise NotFoundError("agent.not_found", name=name)
    return agent


async def _settings(session: AsyncSession, agent: Agent) -> AgentSettings:
    row = await session.get(AgentSettings, agent.id)
    if row is None:
        row = AgentSettings(agent_id=agent.id, away=False)
        session.add(row)
    return row


async def _audit(
    session: AsyncSession, actor: str, action: str, agent: Agent, detail: Mapping[str, Any]
) -> None:
    await audit_record(
        session,
        actor=actor,
        action=f"inbox.{action}",
        target=f"agent:{agent.name}",
        detail=detail,
        chain=CHAIN,
    )


async def set_hours(
    db: Database, teams: Teams, name: str, own: Mapping[str, Any] | None, *, actor: str
) -> dict[str, Any] | None:
    """Set the agent's own hours (a partial calendar mapping: ``hours``, ``timezone``, ``country``, ...);
    None: back to the team's. Checked against every team's calendar before it is stored."""
    clean = None if own is None else {k: v for k, v in own.items() if v is not None}
    if clean is not None:
        unknown = set(clean) - _HOURS_KEYS
        if unknown:
            raise InputError("inbox.assign.bad_hours_key", keys=", ".join(sorted(unknown)))
    async with db.session() as session, session.begin():
        agent = await _agent(session, name)
        for team in teams.all():
            try:
                calendar_for(team, agent.timezone, clean)
            except ConfigError as exc:
                raise InputError(
                    "inbox.assign.bad_hours_detail", value=name, detail=exc.render("en")
                ) from exc
        row = await _settings(session, agent)
        previous, row.hours = row.hours, clean
        await _audit(session, actor, "agent_hours", agent, {"hours": clean, "previous": previous})
    return clean


async def set_away(db: Database, name: str, away: bool, *, actor: str) -> bool:
    """Turn the away switch on or off; returns whether it changed."""
    async with db.session() as session, session.begin():
        agent = await _agent(session, name)
        row = await _settings(session, agent)
        if bool(row.away) == away:
            return False
        row.away = away
        await _audit(session, actor, "agent_away", agent, {"away": away})
    return True


async def set_capacity(db: Database, name: str, capacity: int | None, *, actor: str) -> int | None:
    """Most conversations not closed the agent takes by assignment; None: no limit."""
    if capacity is not None and not 0 <= capacity <= 100_000:
        raise InputError("inbox.assign.bad_capacity", value=capacity)
    async with db.session() as session, session.begin():
        agent = await _agent(session, name)
        row = await _settings(session, agent)
        previous, row.capacity = row.capacity, capacity
        await _audit(session, actor, "agent_capacity", agent, {"capacity": capacity, "previous": previous})
    return capacity


@dataclass(frozen=True)
class Absence:
    id: int
    agent: str
    starts_at: datetime
    ends_at: datetime
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "note": self.note,
        }


async def add_absence(
    db: Database, name: str, starts_at: datetime, ends_at: datetime, *, note: str = "", actor: str
) -> Absence:
    """Out of office ``[starts_at, ends_at)`` (aware instants)."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InputError("inbox.assign.naive_time")
    start, end = as_utc(starts_at), as_utc(ends_at)
    if end <= start:
        raise InputError("inbox.assign.bad_absence", start=start.isoformat(), end=end.isoformat())
    async with db.session() as session, session.begin():
        agent = await _agent(session, name)
        row = AgentAbsence(agent_id=agent.id, starts_at=start, ends_at=end, note=note)
        session.add(row)
        await session.flush()
        detail = {"id": row.id, "starts_at": start.isoformat(), "ends_at": end.isoformat(), "note": note}
        await _audit(session, actor, "agent_absence_added", agent, detail)
    return Absence(row.id, agent.name, start, end, note)


async def list_absences(
    db: Database, name: str | None = None, *, include_past: bool = False
) -> list[Absence]:
    async with db.session() as session:
        query = select(AgentAbsence, Agent.name).join(Agent, Agent.id == AgentAbsence.agent_id)
        if name is not None:
            await _agent(session, name)
            query = query.where(Agent.name == name)
        if not include_past:
            query = query.where(AgentAbsence.ends_at > clock.now())
        rows = (await session.execute(query.order_by(AgentAbsence.starts_at, AgentAbsence.id))).all()
    return [Absence(row.id, agent, row.starts_at, row.ends_at, row.note) for row, agent in rows]


async def remove_absence(db: Database, absence_id: int, *, actor: str) -> None:
    async with db.session() as session, session.begin():
        row = await session.get(AgentAbsence, absence_id)
        if row is None:
            raise NotFoundError("inbox.assign.absence_not_found", id=absence_id)
        agent = await session.get(Agent, row.agent_id)
        assert agent is not None  # the foreign key cascades
        detail = {"id": row.id, "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()}
        await session.execute(delete(AgentAbsence).where(AgentAbsence.id == absence_id))
        await _audit(session, actor, "agent_absence_removed", agent, detail)


@dataclass(frozen=True)
class AgentStatus:
    """An agent's availability on one team's calendar at one instant, for ``inbox agent-status``/the API."""

    name: str
    team: str
    available: bool
    reason: str | None
    back_at: datetime | None
    away: bool
    capacity: int | None
    open: int
    hours: dict[str, Any]
    absences: list[tuple[datetime, datetime]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "team": self.team,
            "available": self.available,
            "reason": self.reason,
            "back_at": self.back_at.isoformat() if self.back_at else None,
            "away": self.away,
            "capacity": self.capacity,
            "open": self.open,
            "hours": self.hours,
            "absences": [[s.isoformat(), e.isoformat()] for s, e in self.absences],
        }


async def agent_status(
    db: Database, teams: Teams, at: datetime | None = None, *, names: Sequence[str] | None = None
) -> list[AgentStatus]:
    """Each agent of each team: available now, or why not and until when."""
    at = as_utc(at or clock.now())
    async with db.session() as session:
        roster = await load_roster(session, at)
        counts = await open_counts(session)
    if names is not None:
        for name in names:
            if roster.by_name(name) is None:
                raise NotFoundError("agent.not_found", name=name)
    out: list[AgentStatus] = []
    for team in teams.all():
        for agent in roster.agents:
            if not team.has_agent(agent.name) or (names is not None and agent.name not in names):
                continue
            schedule = roster.schedule(agent, team)
            reason = why_unavailable(schedule, at, counts.get(agent.uid, 0))
            out.append(
                AgentStatus(
                    name=agent.name,
                    team=team.name,
                    available=reason is None,
                    reason=None if reason is None else str(reason),
                    back_at=None if reason in (None, "at_capacity") else next_available(schedule, at),
                    away=schedule.away,
                    capacity=schedule.capacity,
                    open=counts.get(agent.uid, 0),
                    hours=schedule.calendar.spec.as_mapping(),
                    absences=list(schedule.out_of_office),
                )
            )
    return out
