"""The HTTP server ``mailwarden serve`` and ``mailwarden demo`` run: uvicorn's, with the signals left to
the caller."""

from __future__ import annotations

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
