"""Cost of the SLA time logic (issue 6): due times interval by interval against minute stepping, and
timer-driven recomputation against the periodic sweeps of the anchors (Zammad, FreeScout: every 5 minutes
to every hour).

    .venv/bin/python bench/sla_clock.py            # table on stdout
    .venv/bin/python bench/sla_clock.py --json

The minute-stepping anchor is the obvious implementation the brief rules out: walk forward a minute at a
time, counting the minutes the calendar is open. The sweep model counts how often each open conversation's
state is computed per day: a sweep computes every open conversation at every tick; timers compute one when
one of its events (a message, a status change) or timers (due soon, breach) comes. The sweep's mean lateness
is half its period; a timer's is the worker's wake-up latency (not measured here).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from mailwarden.inbox.hours import BusinessCalendar, CalendarSpec, WeeklyHours
from mailwarden.inbox.sla_clock import compute, next_timer
from mailwarden.inbox.sla_policy import (
    AgentReply,
    CustomerMessage,
    Event,
    SlaPolicy,
    Status,
    StatusChange,
    Targets,
)

H = timedelta(hours=1)


def team() -> BusinessCalendar:
    return BusinessCalendar(
        CalendarSpec("Asia/Shanghai", WeeklyHours.every("09:00-12:00, 13:30-18:00"), country="CN")
    )


def minute_stepping(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The anchor: one is_open question per minute."""
    at, left = start.replace(second=0, microsecond=0), duration
    while left > timedelta(0):
        if calendar.is_open(at):
            left -= timedelta(minutes=1)
        at += timedelta(minutes=1)
    return at


def best_of(runs: int, fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return min(samples)


def conversation(cycles: int) -> list[Event]:
    history: list[Event] = []
    at = datetime(2026, 9, 14, 1, tzinfo=UTC)
    for _ in range(cycles):
        history += [
            CustomerMessage(at),
            AgentReply(at + 3 * H),
            StatusChange(at + 3 * H, Status.PENDING_CUSTOMER),
        ]
        at += 26 * H
    history.append(CustomerMessage(at))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--open", type=int, default=10_000, help="open conversations in the sweep model")
    args = parser.parse_args()
    calendar = team()
    start = datetime(2026, 9, 14, 1, tzinfo=UTC)
    thirty_days = 30 * 7.5 * H
    assert calendar.add_business_time(start, thirty_days) == minute_stepping(calendar, start, thirty_days)

    fresh = lambda: team().add_business_time(start, thirty_days)  # noqa: E731 - cold: no cached days
    add_cold = best_of(5, fresh)
    add_warm = best_of(20, lambda: calendar.add_business_time(start, thirty_days))
    stepping = best_of(1, lambda: minute_stepping(team(), start, thirty_days))

    policy = SlaPolicy(Targets(first_response=8 * H, next_response=4 * H))
    history = conversation(10)
    at = history[-1].at + H
    state = compute("c", history, policy, calendar, at)
    assert next_timer(state) is not None
    compute_10 = best_of(20, lambda: compute("c", history, policy, calendar, at))
    compute_1 = best_of(50, lambda: compute("c", history[:1], policy, calendar, history[0].at + H))

    # per open conversation and day: a 5-minute sweep computes it 288 times; timers about 4 times
    # (a message, a reply, a due soon, a breach at most)
    sweep_5min = args.open * 288 * compute_1
    timers = args.open * 4 * compute_1
    result = {
        "add_30_business_days_cold_ms": round(add_cold * 1e3, 3),
        "add_30_business_days_warm_ms": round(add_warm * 1e3, 3),
        "minute_stepping_ms": round(stepping * 1e3, 1),
        "stepping_over_ours": round(stepping / add_cold, 1),
        "compute_1_cycle_us": round(compute_1 * 1e6, 1),
        "compute_10_cycles_us": round(compute_10 * 1e6, 1),
        "cpu_s_per_day_sweep_5min": round(sweep_5min, 2),
        "cpu_s_per_day_timers": round(timers, 2),
        "open_conversations": args.open,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(
        "mean lateness of an event: a 5-minute sweep 150 s, an hourly one 1800 s; timers: the wake-up latency"
    )


if __name__ == "__main__":
    main()
