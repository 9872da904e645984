"""Reading the audit trail: the events of a chain, newest first, narrowed by action, actor and time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.audit.chain import utc_text
from mailwarden.audit.models import AuditEvent
from mailwarden.audit.service import CHAIN

__all__ = ["event_dict", "list_events"]


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": utc_text(event.at),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
        "hash": event.hash,
    }


async def list_events(
    session: AsyncSession,
    *,
    chain: str = CHAIN,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    """``action`` matches a dotted prefix: ``archive.purge`` finds schedule, cancel and execute."""
    query = select(AuditEvent).where(AuditEvent.chain == chain)
    if action:
        query = query.where(
            (AuditEvent.action == action) | AuditEvent.action.startswith(f"{action}.", autoescape=True)
        )
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if before is not None:
        query = query.where(AuditEvent.at < before)
    return (await session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit))).all()
