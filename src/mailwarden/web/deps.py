"""What every route depends on: the database, the settings, the caller (from the bearer token), the language.

A request without a valid token gets 401 before any route code runs. The caller's mailbox grants then scope
every query (:meth:`~mailwarden.access.principals.Principal.mailbox_ids`): a mailbox it holds no role in is
never named, listed or counted — asking for one of its conversations is "not found", the same answer as for
a conversation that does not exist, so the API does not even confirm that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from mailwarden.access.principals import Principal, authenticate
from mailwarden.core import i18n
from mailwarden.core.errors import MailwardenError
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database

__all__ = ["Caller", "Context", "Unauthenticated", "caller", "context", "scope"]


class Unauthenticated(MailwardenError):
    """No token, or one that is unknown, revoked or expired (HTTP 401)."""

    default_key = "access.unauthenticated"


@dataclass(frozen=True)
class Context:
    db: Database
    settings: Settings
    lang: str
    #: poked after a change the workers should act on at once (a reply queued: the outgoing queue)
    app_state: object


def _lang(request: Request, settings: Settings) -> str:
    wanted = request.headers.get("accept-language", "")
    for part in wanted.split(","):
        tag = part.split(";")[0].strip()
        if tag.lower().startswith("zh"):
            return i18n.ZH
        if tag.lower().startswith("en"):
            return i18n.EN
    return settings.language


def context(request: Request) -> Context:
    state = request.app.state
    return Context(state.db, state.settings, _lang(request, state.settings), state)


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    principal = await authenticate(request.app.state.db, token.strip())
    if principal is None:
        raise Unauthenticated()
    return principal


Caller = Annotated[Principal, Depends(caller)]
Ctx = Annotated[Context, Depends(context)]


def scope(principal: Principal, role: str) -> list[int] | None:
    """The ``mailbox_ids`` a service function takes: the mailboxes where ``principal`` holds ``role`` or
    more (None: all of them, for an operator token)."""
    allowed = principal.mailbox_ids(role)
    return None if allowed is None else sorted(allowed)
