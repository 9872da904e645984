"""Inbox metrics, from the same history the SLA clock reads (messages and the timeline), never from counters.

- **First response** in business hours (the team's calendar; pauses while waiting on the customer do not
  count): the clock's first cycle, answered. Median and p90 per team, per agent (who replied, else who was
  assigned then) and per ISO week (of when the customer wrote, in the team's time zone). p90 is the
  nearest-rank percentile: the smallest value at least 90 % of the replies are at or under — a value that
  happened, which a manager can look up.
- **SLA attainment**: of the cycles (first and next responses) with a target whose outcome is decided —
  answered, or breached while still unanswered — the share met; per team and per team and week. A cycle
  still running inside its target is not counted yet.
- **Backlog**: conversations waiting on us (status open) by how long the customer has waited (wall time,
  from the message that started the running cycle), per team.

Recomputing from history is what makes a metric trustworthy: a conversation reopened, a priority changed,
a reply recorded late — the numbers follow, and they always agree with what ``inbox show`` says of each
conversation. The cost is one clock computation per conversation, loaded in chunks.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from mailwarden.core import clock
from mailwarden.core.errors import NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.hours import as_utc
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.sla_clock import Outcome, SlaState
from mailwarden.inbox.sla_history import load_histories, state_of
from mailwarden.inbox.sla_policy import ClockKind
from mailwarden.inbox.teams import TeamPolicy, Teams
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "BACKLOG_BUCKETS",
    "Attainment",
    "BacklogBucket",
    "Metrics",
    "ResponseStat",
    "compute_metrics",
    "p90",
]

#: (label, upper bound of the wait); the last has none
BACKLOG_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("<1h", timedelta(hours=1)),
    ("1-4h", timedelta(hours=4)),
    ("4-24h", timedelta(hours=24)),
    ("1-3d", timedelta(days=3)),
    ("3-7d", timedelta(days=7)),
    (">7d", None),
)
_CHUNK = 500


@dataclass
class ResponseStat:
    """First-response times of one group: ``scope`` team | agent | week."""

    scope: str
    team: str
    #: the team's name, the agent's name (None: nobody assigned), or the ISO week (``2026-W07``)
    name: str | None
    count: int
    median_seconds: float
    p90_seconds: float


@dataclass
class Attainment:
    team: str
    #: None: all weeks
    week: str | None
    met: int
    breached: int

    @property
    def share(self) -> float | None:
        decided = self.met + self.breached
        return self.met / decided if decided else None


@dataclass
class BacklogBucket:
    team: str
    bucket: str
    count: int


@dataclass
class Metrics:
    at: datetime
    since: date | None
    mailbox: str | None
    conversations: int
    first_response: list[ResponseStat] = field(default_factory=list)
    attainment: list[Attainment] = field(default_factory=list)
    backlog: list[BacklogBucket] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "since": None if self.since is None else self.since.isoformat(),
            "mailbox": self.mailbox,
            "conversations": self.conversations,
            "first_response": [asdict(s) for s in self.first_response],
            "attainment": [{**asdict(a), "share": a.share} for a in self.attainment],
            "backlog": [asdict(b) for b in self.backlog],
        }


def p90(values: Sequence[float]) -> float:
    """Nearest-rank 90th percentile (see the module docstring)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1]


def _week(at: datetime, team: TeamPolicy) -> str:
    year, week, _ = at.astimezone(team.calendar.zone).isocalendar()
    return f"{year}-W{week:02d}"


def _bucket(wait: timedelta) -> str:
    for label, bound in BACKLOG_BUCKETS:
        if bound is None or wait < bound:
            return label
    raise AssertionError("the last bucket has no bound")


class _Tally:
    def __init__(self, since: date | None) -> None:
        self.since = since
        self.first: dict[tuple[str, str, str | None], list[float]] = defaultdict(list)
        self.decided: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
        self.backlog: dict[tuple[str, str], int] = defaultdict(int)

    def started_in_range(self, at: datetime, team: TeamPolicy) -> bool:
        if self.since is None:
            return True
        start = datetime.combine(self.since, time(0), tzinfo=team.calendar.zone)
        return at >= start

    def add(self, conversation: Conversation, state: SlaState, team: TeamPolicy, at: datetime) -> None:
        for cycle in state.cycles:
            if not self.started_in_range(cycle.started_at, team):
                continue
            week = _week(cycle.started_at, team)
            if cycle.clock is ClockKind.FIRST_RESPONSE and cycle.ended_at is not None:
                seconds = cycle.elapsed.total_seconds()
                self.first[("team", team.name, team.name)].append(seconds)
                self.first[("agent", team.name, cycle.replied_by)].append(seconds)
                self.first[("week", team.name, week)].append(seconds)
            if cycle.target is not None and cycle.outcome in (Outcome.MET, Outcome.BREACHED):
                index = 0 if cycle.outcome is Outcome.MET else 1
                self.decided[(team.name, None)][index] += 1
                self.decided[(team.name, week)][index] += 1
        if conversation.status == "open":
            current = state.current
            since = current.started_at if current is not None else None
            since = since or conversation.last_customer_at or conversation.created_at
            self.backlog[(team.name, _bucket(at - as_utc(since)))] += 1

    def result(self, metrics: Metrics) -> Metrics:
        order = {"team": 0, "agent": 1, "week": 2}
        for (scope, team, name), values in sorted(
            self.first.items(), key=lambda kv: (kv[0][1], order[kv[0][0]], kv[0][2] or "")
        ):
            metrics.first_response.append(
                ResponseStat(scope, team, name, len(values), statistics.median(values), p90(values))
            )
        for (team, week), (met, breached) in sorted(
            self.decided.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            metrics.attainment.append(Attainment(team, week, met, breached))
        labels = [label for label, _ in BACKLOG_BUCKETS]
        for (team, bucket), count in sorted(
            self.backlog.items(), key=lambda kv: (kv[0][0], labels.index(kv[0][1]))
        ):
            metrics.backlog.append(BacklogBucket(team, bucket, count))
        return metrics


async def compute_metrics(
    db: Database,
    teams: Teams,
    *,
    at: datetime | None = None,
    since: date | None = None,
    mailbox: str | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> Metrics:
    """The metrics at ``at`` (default now) over conversations of teams' mailboxes (or of ``mailbox``);
    ``since``: only cycles a customer started on or after that day (the team's time zone). The backlog is
    always now's. Raises ``NotFoundError`` for an unknown mailbox (or one outside ``mailbox_ids``)."""
    at = as_utc(at or clock.now())
    tally = _Tally(since)
    seen = 0
    async with db.session() as session:
        query = select(Conversation, Mailbox.name).join(Mailbox, Mailbox.id == Conversation.mailbox_id)
        if mailbox is not None:
            found = await session.scalar(
                select(Mailbox.id).where(func.lower(Mailbox.name) == mailbox.lower())
            )
            if found is None or (mailbox_ids is not None and found not in mailbox_ids):
                raise NotFoundError("inbox.unknown_mailbox", name=mailbox)
            query = query.where(Conversation.mailbox_id == found)
        if mailbox_ids is not None:
            query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
        last = 0
        while True:
            rows = (
                await session.execute(
                    query.where(Conversation.id > last).order_by(Conversation.id).limit(_CHUNK)
                )
            ).all()
            if not rows:
                break
            last = rows[-1][0].id
            histories = await load_histories(session, [row[0] for row in rows])
            for conversation, name in rows:
                team = teams.for_mailbox(name)
                if team is None:
                    continue
                seen += 1
                state = state_of(conversation, histories[conversation.id], team, at)
                tally.add(conversation, state, team, at)
            session.expunge_all()
    return tally.result(Metrics(at.astimezone(UTC), since, mailbox, seen))
