"""Running the background parts side by side: each restarted after a failure, all stopped by one event.

A *part* is a coroutine function ``part(stop)`` that runs until ``stop`` is set (the notify worker, the
ingest loop, one mailbox's IDLE watcher, ...). :func:`supervise` runs them as tasks. A part that fails is
logged with its error kind, counted in :class:`PartStatus`, and started again after a back-off that
doubles up to a minute — one broken mailbox never stops the others, and nothing fails silently: the
status is what ``mailwarden worker --json`` prints and what the API's health route will show.

Stopping: ``stop`` is set (SIGTERM, SIGINT, or the web server's shutdown). Parts are asked to finish what
they are doing — the notify worker finishes a request under way, an ingest batch commits or rolls back
whole — and are cancelled after ``grace`` seconds if they have not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailwarden.core import clock
from mailwarden.core.errors import MailwardenError

__all__ = ["Part", "PartStatus", "Signal", "supervise"]

log = logging.getLogger(__name__)

Part = Callable[[asyncio.Event], Awaitable[None]]

_BACKOFF_FIRST = 1.0
_BACKOFF_MAX = 60.0


class Signal:
    """A wake-up between parts ("something was archived", "a conversation changed"): set by one part,
    awaited by another. Setting it twice before the waiter runs wakes it once, which is what the waiters
    want — each catches up on everything that happened, not one event at a time."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, stop: asyncio.Event, within: float | None = None) -> bool:
        """Wait until set, ``stop`` is set, or ``within`` seconds pass; True when it was set (cleared)."""
        waiters = [asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        fired = self._event.is_set()
        self._event.clear()
        return fired


@dataclass
class PartStatus:
    name: str
    started_at: datetime | None = None
    restarts: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    running: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "running": self.running,
            "started_at": self.started_at,
            "restarts": self.restarts,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
        }


async def _keep_running(name: str, part: Part, stop: asyncio.Event, status: PartStatus) -> None:
    delay = _BACKOFF_FIRST
    while not stop.is_set():
        status.running, status.started_at = True, clock.now()
        started = clock.monotonic()
        try:
            await part(stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a part's failure is recorded and the part restarted
            kind = exc.kind if isinstance(exc, MailwardenError) else type(exc).__name__
            status.last_error, status.last_error_at = kind, clock.now()
            status.restarts += 1
            if isinstance(exc, MailwardenError):
                log.warning("worker part %s failed (%s); again in %.0f s", name, kind, delay)
            else:  # a bug: the traceback is what fixes it
                log.exception("worker part %s failed unexpectedly; again in %.0f s", name, delay)
        else:
            if stop.is_set():
                break
            log.warning("worker part %s returned before the stop; again in %.0f s", name, delay)
        finally:
            status.running = False
        if clock.monotonic() - started > _BACKOFF_MAX:
            delay = _BACKOFF_FIRST  # it had been working for a while: start the back-off over
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, _BACKOFF_MAX)


async def supervise(
    parts: Mapping[str, Part],
    stop: asyncio.Event,
    *,
    grace: float = 20.0,
    statuses: dict[str, PartStatus] | None = None,
) -> dict[str, PartStatus]:
    """Run ``parts`` until ``stop`` is set; returns each part's status. ``statuses``: a dict to fill as
    they run (for a health view)."""
    found = statuses if statuses is not None else {}
    tasks = []
    for name, part in parts.items():
        found[name] = PartStatus(name)
        tasks.append(asyncio.create_task(_keep_running(name, part, stop, found[name]), name=name))
    try:
        await stop.wait()
    finally:
        stop.set()
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            log.warning("worker part %s did not stop within %.0f s; cancelled", task.get_name(), grace)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return found
