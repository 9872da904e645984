"""The team inbox over HTTP: conversations, their timelines, and the event feed for integrations.

Every route scopes by the caller's grants (``mailbox_ids``): a conversation in a mailbox the caller holds no
role in is "not found". Reading a conversation is audited (``inbox.viewed``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from mailwarden.inbox import events, service
from mailwarden.inbox.feed import feed, view_timeline
from mailwarden.inbox.present import summary_dict, view_dict
from mailwarden.web.deps import Caller, Ctx, scope
from mailwarden.web.paging import page_links

router = APIRouter(tags=["inbox"])

Limit = Annotated[int, Query(ge=1, le=service.MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/conversations")
async def list_conversations(
    request: Request,
    principal: Caller,
    ctx: Ctx,
    mailbox: str | None = None,
    status: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Conversations, the most recent activity first; ``next`` is the URL of the following page."""
    page = await service.list_conversations(
        ctx.db, mailbox=mailbox, status=status, limit=limit, offset=offset,
        mailbox_ids=scope(principal, "read"),
    )  # fmt: skip
    return {
        "items": [summary_dict(item) for item in page.items],
        **page_links(request, page.total, page.limit, page.offset),
    }


@router.get("/conversations/{ident}")
async def show_conversation(ident: str, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """One conversation (by id or uid): messages, contact, company. The view is audited."""
    view = await service.show_conversation(ctx.db, ident, mailbox_ids=scope(principal, "read"))
    await events.note_view(ctx.db, view.summary.id, actor=principal.actor)
    return view_dict(view)


@router.get("/conversations/{ident}/timeline")
async def timeline(ident: str, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Every change of the conversation, oldest first (assignments, statuses, replies, notes, SLA events)."""
    view = await service.show_conversation(ctx.db, ident, mailbox_ids=scope(principal, "read"))
    return {"items": await view_timeline(ctx.db, view.summary.id, view.summary.uid)}


@router.get("/events")
async def event_feed(
    request: Request,
    principal: Caller,
    ctx: Ctx,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Timeline events of every conversation the caller may see, after event ``after`` (the ``id`` of the
    last one read): an integration polls with the last id it has, and misses nothing."""
    items = await feed(ctx.db, after=after, limit=limit, mailbox_ids=scope(principal, "read"))
    last = items[-1]["id"] if items else after
    return {"items": items, "after": last}
