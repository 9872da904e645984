"""Who the token stands for, and the mailboxes it may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from mailwarden.mailboxes.models import Mailbox
from mailwarden.web.deps import Caller, Ctx

router = APIRouter(tags=["access"])


@router.get("/me")
async def me(principal: Caller) -> dict[str, Any]:
    """The caller: the agent the token acts as (if any), and whether it is an operator token."""
    return {"actor": principal.actor, "agent": principal.agent, "admin": principal.admin}


@router.get("/mailboxes")
async def mailboxes(principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """The mailboxes the caller holds a role in, with that role (an operator token: all, as ``manage``)."""
    allowed = principal.mailbox_ids("read")
    async with ctx.db.session() as session:
        query = select(Mailbox.id, Mailbox.name, Mailbox.address).order_by(Mailbox.name)
        if allowed is not None:
            query = query.where(Mailbox.id.in_(list(allowed)))
        rows = (await session.execute(query)).all()
    return {
        "items": [
            {
                "name": name,
                "address": address,
                "role": "manage" if principal.admin else principal.roles.get(mailbox_id),
            }
            for mailbox_id, name, address in rows
        ]
    }
