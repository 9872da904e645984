"""What an SLA clock is computed from: the policy, and the conversation's history as plain events.

The history is the conversation's own record, in the order it was recorded, with each event's instant as
*we* learnt it (a customer message counts from its arrival in the mailbox, not from its Date header, which
the sender's clock or a forger writes). :func:`~mailwarden.inbox.sla_clock.compute` reads nothing else, so
the worker can recompute the state from the database after a crash and get the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mailwarden.core.errors import ConfigError

__all__ = [
    "AgentReply",
    "ClockKind",
    "CustomerMessage",
    "Event",
    "Priority",
    "PriorityChange",
    "Reassigned",
    "SlaPolicy",
    "Status",
    "StatusChange",
    "Targets",
    "parse_duration",
]


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Status(StrEnum):
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class ClockKind(StrEnum):
    """First response: from the first customer message to our first reply. Next response: from the first
    customer message after one of our replies to our next reply."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"


@dataclass(frozen=True, slots=True)
class Targets:
    """Business time allowed for each clock; None: that clock is measured but has no target."""

    first_response: timedelta | None = None
    next_response: timedelta | None = None

    def __post_init__(self) -> None:
        for clock in ClockKind:
            value = self.of(clock)
            if value is not None and value <= timedelta(0):
                raise ConfigError("inbox.sla.bad_target", clock=clock.value, value=str(value))

    def of(self, clock: ClockKind) -> timedelta | None:
        return self.first_response if clock is ClockKind.FIRST_RESPONSE else self.next_response


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets, per-priority overrides, when "due soon" is announced, and which statuses stop the clock.

    A status pauses the clock because the conversation is not waiting on us: the customer owes the answer
    (pending), or an agent set it aside until a date (snoozed), or it is done (closed — always pauses). A
    customer message ends any pause: they are waiting again.
    """

    targets: Targets
    overrides: Mapping[Priority, Targets] = field(default_factory=dict)
    due_soon_fraction: float = 0.75
    pausing: frozenset[Status] = frozenset({Status.PENDING_CUSTOMER, Status.SNOOZED, Status.CLOSED})

    def __post_init__(self) -> None:
        if not 0 < self.due_soon_fraction < 1:
            raise ConfigError("inbox.sla.bad_fraction", value=str(self.due_soon_fraction))
        object.__setattr__(self, "pausing", frozenset(self.pausing) | {Status.CLOSED})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """From stored settings: ``{"first_response": "8h", "next_response": "4h", "due_soon": 0.75,
        "pause_on": ["pending_customer", "snoozed"], "priority": {"urgent": {"first_response": "2h"}}}``.
        Durations are business time: ``"4h"``, ``"90m"``, ``"1h30m"`` or a number of minutes."""
        targets = _targets(data, extra=frozenset({"due_soon", "pause_on", "priority"}))
        try:
            overrides = {
                Priority(name): _targets(value) for name, value in (data.get("priority") or {}).items()
            }
            pausing = frozenset(
                Status(name) for name in data.get("pause_on", ("pending_customer", "snoozed"))
            )
            fraction = float(data.get("due_soon", 0.75))
        except (ValueError, TypeError) as exc:
            raise ConfigError("inbox.sla.bad_value", detail=str(exc)) from None
        return cls(targets, overrides, fraction, pausing)

    def as_mapping(self) -> dict[str, Any]:
        """The inverse of :meth:`from_mapping`, JSON-ready (durations in minutes)."""
        data: dict[str, Any] = _minutes(self.targets)
        data["due_soon"] = self.due_soon_fraction
        data["pause_on"] = sorted(s.value for s in self.pausing - {Status.CLOSED})
        if self.overrides:
            data["priority"] = {p.value: _minutes(t) for p, t in sorted(self.overrides.items())}
        return data

    def target(self, clock: ClockKind, priority: Priority) -> timedelta | None:
        """The override for ``priority`` where it sets one, else the policy's own target."""
        override = self.overrides.get(priority)
        if override is not None and override.of(clock) is not None:
            return override.of(clock)
        return self.targets.of(clock)


_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(value: str | int | float) -> timedelta:
    """``"4h"``, ``"90m"``, ``"1h30m"``, or minutes as a number. No days: business days differ in length."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match or not (match[1] or match[2]):
        raise ConfigError("inbox.sla.bad_duration", value=str(value))
    return timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))


def _targets(data: Mapping[str, Any], *, extra: frozenset[str] = frozenset()) -> Targets:
    names = ("first_response", "next_response")
    unknown = set(data) - set(names) - extra
    if unknown:
        raise ConfigError("inbox.sla.unknown_key", keys=", ".join(sorted(unknown)))
    values = {name: None if data.get(name) is None else parse_duration(data[name]) for name in names}
    return Targets(**values)


def _minutes(targets: Targets) -> dict[str, Any]:
    return {
        clock.value: minutes if (minutes := value.total_seconds() / 60) % 1 else int(minutes)
        for clock in ClockKind
        if (value := targets.of(clock)) is not None
    }


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentReply:
    """A reply sent to the customer (internal notes are not replies and are not events here)."""

    at: datetime
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """``until`` ends a snooze by itself, with no further event needed."""

    at: datetime
    status: Status
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reassigned:
    """A new assignee (None: back to the team queue). It neither restarts nor pauses a clock."""

    at: datetime
    agent: str | None


@dataclass(frozen=True, slots=True)
class PriorityChange:
    """From this instant on, the running cycle is measured against the new priority's target; a due-soon or
    breach that fell due before stays (its alert is out). Raised past its new target, it falls due at once."""

    at: datetime
    priority: Priority


Event = CustomerMessage | AgentReply | StatusChange | Reassigned | PriorityChange
