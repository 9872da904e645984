"""Starting the workers: in their own process (``mailwarden worker``) or beside the API (``serve``).

This is where the inbox's parts are put together: the ingest hooks (assignment, SLA clocks, reopening)
in the order they must run inside an ingest batch's transaction, and the loops each capability brings.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from mailwarden.core import clock
from mailwarden.core.secrets import SecretBox
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import outgoing, sla_worker, status
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.teams import Teams
from mailwarden.mailboxes import service as mailboxes
from mailwarden.workers.parts import Hook, Signals, WorkerConfig, build_parts, chain
from mailwarden.workers.runtime import Part, PartStatus, supervise

__all__ = ["Workers", "inbox_hooks", "placed_hook"]


def placed_hook(assigner: Assigner) -> Hook:
    """:func:`inbox_hooks` as the one hook an ingest takes (``inbox ingest``, the demo, tests)."""
    return chain(inbox_hooks(assigner))


def inbox_hooks(assigner: Assigner) -> Sequence[Hook]:
    """What runs for each message placed, inside the ingest batch's transaction, in this order:
    assignment first, so that the SLA clock that starts next knows the assignee it alerts. Used by the
    worker and by ``inbox ingest``, so that a message placed by hand is assigned the same way."""
    return (assigner.on_placed, status.on_placed)


class Workers:
    """The background parts of one process, with the signals the API pokes (a reply queued)."""

    def __init__(
        self, db: Database, settings: Settings, box: SecretBox, config: WorkerConfig | None = None
    ) -> None:
        self.db, self.settings, self.box = db, settings, box
        self.config = config or WorkerConfig()
        self.signals = Signals()
        self.statuses: dict[str, PartStatus] = {}
        #: set by whoever queues a reply in this process
        self.reply_wake = asyncio.Event()
        #: set after an ingest placed messages (their clocks start or stop)
        self.sla_wake = asyncio.Event()
        self.signals.placed.append(self.sla_wake.set)

    @functools.cached_property
    def teams(self) -> Teams:
        return Teams(self.settings.inbox)

    @functools.cached_property
    def assigner(self) -> Assigner:
        return Assigner(self.teams)

    def hooks(self) -> Sequence[Hook]:
        return inbox_hooks(self.assigner)

    def extra_parts(self) -> dict[str, Part]:
        return {"assign-queue": self._assign_queue, "replies": self._replies, "sla": self._sla}

    async def _sla(self, stop: asyncio.Event) -> None:
        """SLA timers at their due instants; woken at once when this process placed messages."""
        await sla_worker.run(self.db, self.settings, stop=stop, wake=self.sla_wake, teams=self.teams)

    async def _replies(self, stop: asyncio.Event) -> None:
        """The outgoing queue: woken at once by a reply queued in this process (the API passes
        :attr:`reply_wake` to :func:`mailwarden.inbox.reply.reply`), else by its own timers and poll."""
        await outgoing.run(self.db, self.settings, stop=stop, wake=self.reply_wake)

    async def _assign_queue(self, stop: asyncio.Event) -> None:
        """Conversations nobody could take: tried again when the first absent agent is due back (their
        hours begin, their leave ends), and at least every ``fallback`` seconds for changes made elsewhere
        (an agent back from "away", a conversation closed: capacity freed)."""
        while not stop.is_set():
            waiting = await self.assigner.assign_waiting(self.db)
            pause = self.config.fallback * 4
            if waiting.back_at is not None:
                pause = min(pause, max(0.0, (waiting.back_at - clock.now()).total_seconds()))
            await self.signals.queue.wait(stop, pause)

    async def run(self, stop: asyncio.Event) -> dict[str, PartStatus]:
        """Run until ``stop`` (after :meth:`check`)."""
        await self.check()
        parts = await build_parts(
            self.db, self.settings, self.box, self.signals, self.config,
            hooks=self.hooks(), extra=self.extra_parts(),
        )  # fmt: skip
        return await supervise(parts, stop, statuses=self.statuses)

    async def check(self) -> None:
        """A team naming a mailbox that does not exist is a ``ConfigError`` at the start, not a team that
        silently never answers."""
        self.teams.check_mailboxes([box.name for box in await mailboxes.list_mailboxes(self.db)])

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the workers for the duration of the block (the web server's lifespan); a configuration
        mistake is raised here, before the server starts listening."""
        await self.check()
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop))
        try:
            yield
        finally:
            stop.set()
            await task

    def status(self) -> list[dict[str, Any]]:
        return [status.as_dict() for status in self.statuses.values()]
