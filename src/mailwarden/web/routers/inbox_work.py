"""Working a conversation over HTTP: assign, status, priority, SLA, presence, replies and the outgoing queue.

Roles (see :mod:`mailwarden.access.principals`): reading needs ``read``; replying, presence, status and
priority need ``answer``; assigning needs ``manage``. A caller without the role in the conversation's
mailbox gets "not found" — the same answer as for a conversation that does not exist — and a caller that
holds a lower role gets the same, so a role never reveals more than it may see.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from mailwarden.core.errors import InputError
from mailwarden.inbox import reply as replies
from mailwarden.inbox import status as statuses
from mailwarden.inbox.assign import Assigner
from mailwarden.inbox.compose import Attachment
from mailwarden.inbox.teams import Teams
from mailwarden.web.deps import Caller, Ctx, scope
from mailwarden.web.results import out

router = APIRouter(tags=["inbox"])


class AssignBody(BaseModel):
    #: the agent's name; null puts the conversation back in its team's queue
    agent: str | None
    #: give it to an agent outside the conversation's team
    force: bool = False


@router.post("/conversations/{ident}/assign")
async def assign(ident: str, body: AssignBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Assign the conversation (role ``manage``); audited, and the agent becomes the customer's owner."""
    done = await Assigner(Teams(ctx.settings.inbox)).reassign(
        ctx.db, ident, body.agent, actor=principal.actor,
        mailbox_ids=scope(principal, "manage"), force=body.force,
    )  # fmt: skip
    return out(done)


class StatusBody(BaseModel):
    status: Literal["open", "pending", "snoozed", "closed"]
    #: required for ``snoozed``: when it opens again (with a UTC offset)
    until: datetime | None = None


@router.post("/conversations/{ident}/status")
async def set_status(ident: str, body: StatusBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Open, pending (waiting on the customer: the SLA clock stops), snoozed until a time, closed."""
    done = await statuses.set_status(
        ctx.db, ident, body.status, until=body.until, actor=principal.actor,
        mailbox_ids=scope(principal, "answer"),
    )  # fmt: skip
    return out(done)


class PriorityBody(BaseModel):
    priority: Literal["low", "normal", "high", "urgent"]


@router.post("/conversations/{ident}/priority")
async def set_priority(ident: str, body: PriorityBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Change the priority: the running SLA cycle is measured against its target from now on."""
    done = await statuses.set_priority(
        ctx.db, ident, body.priority, actor=principal.actor, mailbox_ids=scope(principal, "answer")
    )
    return out(done)


@router.get("/conversations/{ident}/sla")
async def sla(ident: str, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """The conversation's SLA clocks now: cycles, due times, events fired and to come."""
    state = await statuses.conversation_sla(
        ctx.db, Teams(ctx.settings.inbox), ident, mailbox_ids=scope(principal, "read")
    )
    return {"sla": None if state is None else state.as_dict()}


class PresenceBody(BaseModel):
    state: Literal["viewing", "replying"]


@router.post("/conversations/{ident}/presence")
async def presence(ident: str, body: PresenceBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """A heartbeat (every ~20 s while the agent has the conversation open): answers who else is viewing
    or replying, so the agent sees a colleague at work before writing the same answer."""
    others = await replies.touch_presence(
        ctx.db, ctx.settings, ident, agent=principal.require_agent(), state=body.state,
        mailbox_ids=scope(principal, "answer"),
    )  # fmt: skip
    return {"others": [present.as_dict() for present in others]}


class AttachmentBody(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = "application/octet-stream"
    #: the file, base64
    data: str


class ReplyBody(BaseModel):
    body_text: str
    body_html: str | None = None
    cc: list[str] = []
    attachments: list[AttachmentBody] = []
    #: the newest inbox message id the agent has seen: a newer customer message or a colleague's reply
    #: makes the request fail with 409 (listing what is new) unless ``confirm`` is true
    seen_message_id: int | None = None
    confirm: bool = False
    quote: bool | None = None


def _attachments(items: list[AttachmentBody]) -> list[Attachment]:
    found = []
    for item in items:
        try:
            data = base64.b64decode(item.data, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("inbox.reply.attachment_not_base64", name=item.filename) from None
        found.append(Attachment(item.filename, item.content_type, data))
    return found


@router.post("/conversations/{ident}/replies", status_code=202)
async def reply(ident: str, body: ReplyBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Queue a reply from the shared address, as the token's agent. 202: queued; it is sent by the worker
    (at once when it runs in this process) and its progress is on the outgoing list and the timeline."""
    workers = getattr(ctx.app_state, "workers", None)
    queued = await replies.reply(
        ctx.db, ctx.settings, ident, agent=principal.require_agent(), body_text=body.body_text,
        body_html=body.body_html, attachments=_attachments(body.attachments), cc=body.cc,
        seen_message_id=body.seen_message_id, confirm=body.confirm, quote=body.quote,
        mailbox_ids=scope(principal, "answer"),
        wake=workers.reply_wake if workers is not None else None,
    )  # fmt: skip
    return out(queued)


@router.get("/outgoing")
async def outgoing(
    principal: Caller,
    ctx: Ctx,
    status: str | None = None,
    conversation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Replies, newest first: queued, sending, sent, filed, failed (with the error, retryable)."""
    rows = await replies.list_outgoing(
        ctx.db, status=status, conversation=conversation, limit=limit,
        mailbox_ids=scope(principal, "read"),
    )  # fmt: skip
    return {"items": [out(row) for row in rows]}


@router.post("/outgoing/{outgoing_id}/retry")
async def retry(outgoing_id: int, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Send a failed reply again (or file it in Sent again, when only that failed)."""
    workers = getattr(ctx.app_state, "workers", None)
    done = await replies.retry(
        ctx.db, outgoing_id, actor=principal.actor, mailbox_ids=scope(principal, "answer")
    )
    if workers is not None:
        workers.reply_wake.set()
    return out(done)
