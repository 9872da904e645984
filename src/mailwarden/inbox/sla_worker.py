"""The SLA worker: timers driven by due times, not a periodic sweep.

Each conversation carries ``sla_next_at``, the next instant anything about its clock happens: a due-soon or
breach falls due, a snooze ends — or "now", set by whatever changed it (:func:`.status.mark_for_sla`: a
message placed, a reply, a status or priority change), in the transaction that changed it. The worker:

1. **claims** the conversations with ``sla_next_at <= now`` (a conditional UPDATE over the candidates,
   selected ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the UPDATE comes first, so it takes the
   write lock before anything is read): a second worker skips rows the first holds, and finds them moved
   into the future once it commits;
2. for each, in the SAME transaction: ends a snooze whose time has come (``snooze_ended``), reads the
   history (:mod:`.sla_history`), computes the state at now, and for every fired timer not yet on the
   timeline records ``sla_due_soon``/``sla_breach`` and queues the notify alert (kind ``sla.due_soon`` /
   ``sla.breach``, key :attr:`TimerIdentity.key`, mentioning the assignee), then stores the next instant
   and the summary list views show (``sla_due_at``, ``sla_outcome``);
3. **sleeps** until the earliest ``sla_next_at`` — or until woken: in-process by an ``asyncio.Event`` the
   ingest or the API sets, across processes by a cheap check every ``[inbox.sla] check_seconds`` of that
   same earliest instant (one index lookup, ``min(sla_next_at)``): a change made in another process
   lowered it. That check reads one value; it is a wake-up signal, not the SLA sweep (decision 0016).

Alerts go out only for the cycle still waiting on us: catching up after an outage, a breach of a cycle that
was answered since is recorded on the timeline (it happened; metrics count it) but tells nobody anything
to do, and a due-soon is not announced once its breach has fallen due.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mailwarden.access.models import Agent
from mailwarden.core import clock
from mailwarden.core.errors import SystemFailure
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.models import Company, Contact, ContactAddress, Conversation
from mailwarden.inbox.sla_clock import SlaState, Timer, TimerKind, next_timer
from mailwarden.inbox.sla_history import History, load_histories, state_of
from mailwarden.inbox.teams import TeamPolicy, Teams
from mailwarden.mailboxes.models import Mailbox
from mailwarden.notify.alerts import Alert, Person
from mailwarden.notify.service import enqueue_in

__all__ = ["ACTOR", "TickReport", "adopt", "earliest", "fingerprint", "run", "tick"]

log = logging.getLogger(__name__)

ACTOR = events.system_actor("sla")
#: conversations computed per transaction
BATCH = 50


class TickReport:
    """What one :func:`tick` did (counts), for logs and tests."""

    def __init__(self) -> None:
        self.computed = 0
        self.recorded = 0
        self.alerted = 0
        self.snoozes_ended = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


async def earliest(db: Database) -> datetime | None:
    """The earliest ``sla_next_at`` of all conversations (an index lookup): when the worker must look next."""
    async with db.session() as session:
        value = await session.scalar(select(func.min(Conversation.sla_next_at)))
    return None if value is None else as_utc(value)


def fingerprint(team: TeamPolicy) -> str:
    """What the stored due times of a team's conversations depend on: its mailboxes, calendar and policy."""
    data = {
        "name": team.name,
        "mailboxes": sorted(team.mailboxes),
        "hours": team.calendar.spec.as_mapping(),
        "sla": team.sla.as_mapping(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def no_team_print(teams: Teams) -> str:
    """The fingerprint stored on a conversation no team answers: which mailboxes the teams answer. A team
    that takes its mailbox on later changes it, and the conversation gets its clock at the next start."""
    data = sorted((team.name, sorted(team.mailboxes)) for team in teams.all())
    return "-" + hashlib.sha256(json.dumps(data).encode()).hexdigest()[:15]


async def adopt(db: Database, teams: Teams) -> int:
    """Schedule for now the conversations whose stored instants may be wrong: never computed (made before
    the worker existed), or computed under a team policy that is no longer configured (targets, hours or
    mailboxes changed in the settings). Closed ones wait until they change. Returns how many. Run at the
    worker's start: one UPDATE, and the worker computes each once."""
    now = clock.now()
    current = sorted({fingerprint(team) for team in teams.all()} | {no_team_print(teams)})
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Conversation)
            .where(
                or_(
                    and_(Conversation.sla_computed_at.is_(None), Conversation.sla_next_at.is_(None)),
                    and_(
                        Conversation.status != "closed",
                        Conversation.sla_policy.is_not(None),
                        Conversation.sla_policy.not_in(current),
                    ),
                )
            )
            .values(sla_next_at=now, updated_at=Conversation.updated_at)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _claim(session: AsyncSession, at: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due conversations for this transaction (see the module docstring)."""
    candidates = (
        select(Conversation.id)
        .where(Conversation.sla_next_at <= at)
        .order_by(Conversation.sla_next_at, Conversation.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "sqlite":
        # the statement must begin with UPDATE: the driver opens the transaction only before a statement
        # it recognises as a write, and a CTE (WITH ...) would run, and commit, on its own
        chosen: Any = candidates.scalar_subquery()
    else:
        # a CTE, not IN (subquery): PostgreSQL may run an IN-subquery again per row (see db/queue.py)
        picked = candidates.with_for_update(skip_locked=True).cte("picked")
        chosen = select(picked.c.id)
    stmt = (
        update(Conversation)
        .where(Conversation.id.in_(chosen), Conversation.sla_next_at <= at)
        # a no-op write: it takes the row (PostgreSQL) or the database (SQLite) for this transaction
        .values(sla_next_at=Conversation.sla_next_at, updated_at=Conversation.updated_at)
        .returning(Conversation.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(int(i) for i in (await session.execute(stmt)).scalars().all())


async def tick(
    db: Database, teams: Teams, at: datetime | None = None, *, report: TickReport | None = None
) -> datetime | None:
    """One pass: handle every conversation due at ``at`` (default now). Returns the next instant anything
    is due (None: nothing scheduled). Tests call it with a frozen clock."""
    at = as_utc(at or clock.now())
    report = report if report is not None else TickReport()
    while True:
        async with db.session() as session, session.begin():
            ids = await _claim(session, at, BATCH)
            if ids:
                await _handle(session, teams, ids, at, report)
        if len(ids) < BATCH:
            break
    return await earliest(db)


async def _handle(
    session: AsyncSession, teams: Teams, ids: list[int], at: datetime, report: TickReport
) -> None:
    rows = (
        await session.execute(
            select(Conversation, Mailbox.name)
            .join(Mailbox, Mailbox.id == Conversation.mailbox_id)
            .where(Conversation.id.in_(ids))
            .order_by(Conversation.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    conversations = [row[0] for row in rows]
    for conversation in conversations:
        until = conversation.snoozed_until
        if conversation.status == "snoozed" and until is not None and as_utc(until) <= at:
            conversation.status, conversation.snoozed_until = "open", None
            await events.record(
                session, conversation, "snooze_ended", actor=ACTOR,
                detail={"until": as_utc(until).isoformat()}, at=as_utc(until),
            )  # fmt: skip
            report.snoozes_ended += 1
    histories = await load_histories(session, conversations)
    prints: dict[str, str] = {}
    for conversation, mailbox in rows:
        team = teams.for_mailbox(mailbox)
        values: dict[str, Any] = {"sla_computed_at": at}
        if team is None:
            values.update(
                sla_next_at=None, sla_due_at=None, sla_outcome=None, sla_policy=no_team_print(teams)
            )
        else:
            state = state_of(conversation, histories[conversation.id], team, at)
            await _emit(session, conversation, histories[conversation.id], state, team, report)
            if team.name not in prints:
                prints[team.name] = fingerprint(team)
            values.update(_summary(conversation, state), sla_policy=prints[team.name])
        report.computed += 1
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(**values, updated_at=Conversation.updated_at)
            .execution_options(synchronize_session=False)
        )


def _summary(conversation: Conversation, state: SlaState) -> dict[str, Any]:
    timer = next_timer(state)
    candidates = [timer.at] if timer is not None else []
    if conversation.status == "snoozed" and conversation.snoozed_until is not None:
        candidates.append(as_utc(conversation.snoozed_until))
    current = state.current
    return {
        "sla_next_at": min(candidates) if candidates else None,
        "sla_due_at": current.due_at if current is not None else None,
        "sla_outcome": current.outcome.value if current is not None else None,
    }


async def _emit(
    session: AsyncSession,
    conversation: Conversation,
    history: History,
    state: SlaState,
    team: TeamPolicy,
    report: TickReport,
) -> None:
    breached = {(t.identity.clock, t.identity.cycle) for t in state.fired if t.kind is TimerKind.BREACH}
    for timer in state.fired:
        key = timer.identity.key
        if key in history.recorded:
            continue
        cycle = state.cycle(timer.identity.clock, timer.identity.cycle)
        live = cycle is not None and cycle.ended_at is None
        if timer.kind is TimerKind.DUE_SOON and (timer.identity.clock, timer.identity.cycle) in breached:
            live = False
        queued = 0
        if live:
            queued = await enqueue_in(session, await _alert(session, conversation, timer, state, team))
            report.alerted += 1
        kind = "sla_due_soon" if timer.kind is TimerKind.DUE_SOON else "sla_breach"
        detail = {**timer.as_dict(), "team": team.name, "alerted": live, "queued": queued}
        await events.record(session, conversation, kind, actor=ACTOR, detail=detail, at=timer.at)
        history.recorded.add(key)
        report.recorded += 1


async def _alert(
    session: AsyncSession, conversation: Conversation, timer: Timer, state: SlaState, team: TeamPolicy
) -> Alert:
    mentions: list[Person] = []
    assignee = None
    if conversation.assignee_id is not None:
        agent = await session.scalar(
            select(Agent).options(selectinload(Agent.identities)).where(Agent.id == conversation.assignee_id)
        )
        if agent is not None:
            assignee = agent.name
            mentions.append(
                Person(agent.name, agent.email, agent.timezone, {i.kind: i.ident for i in agent.identities})
            )
    params = {
        "subject": conversation.subject or "-",
        "customer": await _customer(session, conversation),
        "assignee": assignee or "",
        "due": timer.due.isoformat() if timer.due is not None else "",
        "team": team.name,
        "conversation": conversation.uid,
        "priority": state.priority.value,
    }
    return Alert(
        kind=timer.alert_kind,
        key=timer.identity.key,
        params={k: v for k, v in params.items() if v},
        mentions=tuple(mentions),
    )


async def _customer(session: AsyncSession, conversation: Conversation) -> str:
    if conversation.contact_id is None:
        return ""
    contact = await session.get(Contact, conversation.contact_id)
    address = await session.scalar(
        select(func.min(ContactAddress.display)).where(ContactAddress.contact_id == conversation.contact_id)
    )
    name = contact.name if contact is not None else ""
    shown = f"{name} <{address}>" if name and address else (name or address or "")
    if conversation.company_id is not None:
        company = await session.get(Company, conversation.company_id)
        if company is not None:
            shown = f"{shown} ({company.display_domain})" if shown else company.display_domain
    return shown


async def run(
    db: Database,
    settings: Settings,
    *,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    teams: Teams | None = None,
) -> None:
    """Run until ``stop`` is set: tick when something is due, sleep until the next instant, the ``wake``
    event, or the next cheap cross-process check (``[inbox.sla] check_seconds``). A database that is away
    (``SystemFailure``) is logged and tried again at the next check; the timers are not lost, they are
    rows."""
    teams = teams or Teams(settings.inbox)
    check = settings.inbox.sla.check_seconds
    wake = wake or asyncio.Event()
    adopted: int | None = None
    upcoming: datetime | None = clock.now()
    while not stop.is_set():
        try:
            if adopted is None:
                adopted = await adopt(db, teams)
                if adopted:
                    log.info("sla: %d conversations scheduled for a first computation", adopted)
            now = clock.now()
            if upcoming is not None and upcoming <= now:
                report = TickReport()
                upcoming = await tick(db, teams, now, report=report)
                if report.recorded or report.snoozes_ended:
                    log.info("sla: %s", report.as_dict())
                continue
        except SystemFailure as exc:  # the database is away: say so, wait, try again
            log.warning("sla worker: %s", exc)
            upcoming = None
        now = clock.now()
        delay = check if upcoming is None else min(check, (upcoming - now).total_seconds())
        woken = await _wait(stop, wake, max(delay, 0.0))
        if stop.is_set():
            break
        if woken:
            wake.clear()
            upcoming = clock.now()  # something changed here: look now
        else:
            try:
                upcoming = await earliest(db)  # the cross-process check (or the timer, when it was nearest)
            except SystemFailure as exc:
                log.warning("sla worker: %s", exc)
                upcoming = None


async def _wait(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``stop`` or ``wake``; True when woken by ``wake``."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    return wake.is_set() and not stop.is_set()
