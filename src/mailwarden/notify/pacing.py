"""Rate limits and back-off as plain functions of times, so they are tested without a clock or a socket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

__all__ = ["WINDOW", "backoff", "budget", "next_slot"]

#: vendors state their limits per minute (DingTalk: 20 a minute); we keep to them over any sliding minute
WINDOW = timedelta(minutes=1)


def next_slot(recent: Sequence[datetime], limit: int, now: datetime) -> datetime | None:
    """When the next request may start, given the start times of this channel's requests; None means now.

    Over any sliding minute at most ``limit`` requests: with ``limit`` of them in the last minute, the next
    waits until the oldest of those is a minute old.
    """
    inside = sorted(t for t in recent if t > now - WINDOW)
    if len(inside) < limit:
        return None
    return inside[len(inside) - limit] + WINDOW


def budget(recent: Sequence[datetime], limit: int, now: datetime) -> int:
    """How many more requests fit into the minute that ends now."""
    return max(0, limit - sum(1 for t in recent if t > now - WINDOW))


def backoff(tries: int, *, base: float, cap: float) -> timedelta:
    """Exponential: base, 2·base, 4·base, … up to ``cap`` seconds. ``tries`` counts failures so far (≥ 1)."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, tries - 1)))
