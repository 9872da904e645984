"""The application factory: routers, error answers, and (for ``mailwarden serve``) the workers' lifespan.

Errors are answered as ``{"error": {"kind", "key", "message", "hint"?}}`` in the caller's language
(``Accept-Language``), with the HTTP status their class means: a user's mistake is 4xx, a failure of ours or
a remote party's 5xx. Nothing else leaks: an unexpected exception is logged and answered as a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mailwarden import __version__
from mailwarden.core.errors import (
    ConflictError,
    MailwardenError,
    NotFoundError,
    PermissionDeniedError,
    SystemFailure,
    UserError,
)
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.web.deps import Unauthenticated, context
from mailwarden.web.routers import inbox, inbox_team, inbox_work, me

__all__ = ["API_PREFIX", "create_app", "status_of"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

Background = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def status_of(error: MailwardenError) -> int:
    if isinstance(error, Unauthenticated):
        return 401
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, UserError):
        return 400
    if isinstance(error, SystemFailure) and not error.permanent:
        return 503
    return 500


def create_app(settings: Settings, db: Database, *, background: Background | None = None) -> FastAPI:
    """The API over ``db``. ``background``: what runs beside it for the app's lifetime (the workers)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if background is None:
            yield
            return
        async with background(app):
            yield

    app = FastAPI(
        title="mailwarden",
        version=__version__,
        description="Keeps a team's shared mailbox reachable, backed up and answered. "
        "让团队共享邮箱始终可用、有备份、有人及时回复。",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MailwardenError)
        lang = context(request).lang
        status = status_of(exc)
        if status >= 500:
            log.warning("%s %s failed: %s", request.method, request.url.path, exc.kind)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": exc.as_dict(lang)}, status_code=status, headers=headers)

    app.add_exception_handler(MailwardenError, on_error)
    app.include_router(me.router, prefix=API_PREFIX)
    app.include_router(inbox.router, prefix=API_PREFIX)
    app.include_router(inbox_work.router, prefix=API_PREFIX)
    app.include_router(inbox_team.router, prefix=API_PREFIX)
    return app
