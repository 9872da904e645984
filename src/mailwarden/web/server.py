"""The HTTP server ``mailwarden serve`` and ``mailwarden demo`` run: uvicorn's, with the signals left to
the caller."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn

__all__ = ["Server"]


class Server(uvicorn.Server):
    """uvicorn's server, with the signals left to us: on SIGTERM it shuts down gracefully (requests
    finished, the workers' lifespan closed) and the command exits 0, instead of re-raising the signal as
    uvicorn's own handlers do."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True

    async def begin(self) -> tuple[asyncio.Task[None], int] | None:
        """Serve in a task; once it listens, the task and the port it got (useful with port 0). None when
        it stopped before listening (the port was taken: uvicorn logged why)."""
        task = asyncio.create_task(self.serve())
        while not self.started and not task.done():  # noqa: ASYNC110 - uvicorn has no "started" event
            await asyncio.sleep(0.02)
        if not self.started:
            await task
            return None
        return task, self.servers[0].sockets[0].getsockname()[1]
