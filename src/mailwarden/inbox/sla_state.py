"""The values an SLA computation answers with: cycles, timers and their identities, the state.

Plain frozen values, JSON-ready through ``as_dict`` (what ``inbox show --json`` and the API print), made by
:func:`mailwarden.inbox.sla_clock.compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mailwarden.inbox.sla_policy import ClockKind, Priority, Status

__all__ = ["Cycle", "Outcome", "SlaState", "Timer", "TimerIdentity", "TimerKind"]


class TimerKind(StrEnum):
    DUE_SOON = "due_soon"
    BREACH = "breach"


class Outcome(StrEnum):
    RUNNING = "running"  # waiting on us, the clock counts
    PAUSED = "paused"  # waiting on us, but the clock is stopped (pending, snoozed, closed)
    MET = "met"  # we replied by the due time (or the cycle has no target)
    BREACHED = "breached"  # the due time passed before our reply; ``ended_at`` None: still unanswered


@dataclass(frozen=True, slots=True)
class TimerIdentity:
    """What the outbox dedupes on: stable across recomputations of the same append-only history."""

    conversation: str
    clock: ClockKind
    cycle: int
    kind: TimerKind

    @property
    def key(self) -> str:
        return f"sla/{self.conversation}/{self.clock.value}/{self.cycle}/{self.kind.value}"


@dataclass(frozen=True, slots=True)
class Timer:
    """An event of the clock, the instant it falls due, and the cycle's due time (what "reply by" shows)."""

    at: datetime
    identity: TimerIdentity
    due: datetime | None

    @property
    def kind(self) -> TimerKind:
        return self.identity.kind

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.identity.key, "kind": self.kind.value, "at": _iso(self.at), "due": _iso(self.due)}

    @property
    def alert_kind(self) -> str:
        """The notify alert kind (``sla.due_soon``, ``sla.breach``); ``identity.key`` is the alert key."""
        return f"sla.{self.identity.kind.value}"


@dataclass(frozen=True, slots=True)
class Cycle:
    clock: ClockKind
    number: int
    started_at: datetime
    priority: Priority
    target: timedelta | None
    #: stretches the clock stood still; the last one may still be open (``None`` end)
    pauses: tuple[tuple[datetime, datetime | None], ...]
    ended_at: datetime | None
    replied_by: str | None
    #: business time counted so far (to the reply, or to the instant of the state)
    elapsed: timedelta
    due_soon_at: datetime | None
    due_at: datetime | None
    outcome: Outcome
    #: for a breach: business time beyond the target, and wall time since the due instant
    overdue_business: timedelta = timedelta(0)
    overdue: timedelta = timedelta(0)

    def timers(self, conversation: str) -> tuple[Timer, ...]:
        pairs = ((TimerKind.DUE_SOON, self.due_soon_at), (TimerKind.BREACH, self.due_at))
        return tuple(
            Timer(at, TimerIdentity(conversation, self.clock, self.number, kind), self.due_at)
            for kind, at in pairs
            if at is not None
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "clock": self.clock.value,
            "number": self.number,
            "outcome": self.outcome.value,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "replied_by": self.replied_by,
            "priority": self.priority.value,
            "target_seconds": None if self.target is None else self.target.total_seconds(),
            "elapsed_seconds": self.elapsed.total_seconds(),
            "due_soon_at": _iso(self.due_soon_at),
            "due_at": _iso(self.due_at),
            "overdue_seconds": self.overdue.total_seconds(),
            "overdue_business_seconds": self.overdue_business.total_seconds(),
            "pauses": [[_iso(start), _iso(end)] for start, end in self.pauses],
        }


@dataclass(frozen=True, slots=True)
class SlaState:
    conversation: str
    at: datetime
    status: Status
    priority: Priority
    assignee: str | None
    cycles: tuple[Cycle, ...]
    #: every due-soon and breach event whose instant has come, in time order
    fired: tuple[Timer, ...]
    #: events still to come for the open cycle, in time order (none while it is paused indefinitely)
    pending: tuple[Timer, ...]

    @property
    def current(self) -> Cycle | None:
        """The cycle waiting on our reply, if any."""
        last = self.cycles[-1] if self.cycles else None
        return last if last is not None and last.ended_at is None else None

    def cycle(self, clock: ClockKind, number: int | None = None) -> Cycle | None:
        for candidate in self.cycles:
            if candidate.clock is clock and (number is None or candidate.number == number):
                return candidate
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "at": _iso(self.at),
            "status": self.status.value,
            "priority": self.priority.value,
            "assignee": self.assignee,
            "cycles": [cycle.as_dict() for cycle in self.cycles],
            "fired": [timer.as_dict() for timer in self.fired],
            "pending": [timer.as_dict() for timer in self.pending],
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
