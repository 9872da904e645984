"""Starting the workers: in their own process (``mailwarden worker``) or beside the API (``serve``).

This is where the inbox's parts are put together: the ingest hooks (assignment, SLA clocks, reopening)
in the order they must run inside an ingest batch's transaction, and the loops each capability brings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from mailwarden.core.secrets import SecretBox
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.workers.parts import Hook, Signals, WorkerConfig, build_parts
from mailwarden.workers.runtime import Part, PartStatus, supervise

__all__ = ["Workers"]


class Workers:
    """The background parts of one process, with the signals the API pokes (a reply queued)."""

    def __init__(
        self, db: Database, settings: Settings, box: SecretBox, config: WorkerConfig | None = None
    ) -> None:
        self.db, self.settings, self.box = db, settings, box
        self.config = config or WorkerConfig()
        self.signals = Signals()
        self.statuses: dict[str, PartStatus] = {}

    def hooks(self) -> Sequence[Hook]:
        """What runs for each message placed, inside the ingest batch's transaction, in this order."""
        return ()

    def extra_parts(self) -> dict[str, Part]:
        return {}

    async def run(self, stop: asyncio.Event) -> dict[str, PartStatus]:
        parts = await build_parts(
            self.db, self.settings, self.box, self.signals, self.config,
            hooks=self.hooks(), extra=self.extra_parts(),
        )  # fmt: skip
        return await supervise(parts, stop, statuses=self.statuses)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the workers for the duration of the block (the web server's lifespan)."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop))
        try:
            yield
        finally:
            stop.set()
            await task

    def status(self) -> list[dict[str, Any]]:
        return [status.as_dict() for status in self.statuses.values()]
