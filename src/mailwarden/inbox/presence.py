"""Who else is looking at a conversation: viewing it, or writing a reply (Help Scout's "traffic cop").

A client calls :func:`heartbeat` while an agent has a conversation open (``viewing``) or a reply editor open
(``replying``), more often than ``[inbox.replies] presence_ttl``; a row that is not refreshed expires by
itself, so a closed browser tab or a crashed client never leaves a ghost "Anna is replying". :func:`leave`
ends it at once (the editor closed, the reply queued). Expired rows are ignored when read and deleted on
the next heartbeat of that conversation: no sweeper needed.

Heartbeats are not audited, but the start of a presence is: it is a view (``viewed``, audit only, see
:mod:`.events`) — who read a customer's conversation is an audit question.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core import clock
from mailwarden.core.errors import InputError
from mailwarden.db.engine import Database
from mailwarden.inbox.models_reply import PRESENCE_STATES, Presence

__all__ = ["Present", "heartbeat", "leave", "presence"]


@dataclass(frozen=True, slots=True)
class Present:
    agent: str
    state: str  # viewing | replying
    since: datetime
    expires_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def heartbeat(
    session: AsyncSession, conversation_id: int, agent_id: int, state: str, *, ttl: float
) -> bool:
    """``agent_id`` is ``state`` on the conversation for the next ``ttl`` seconds (the caller commits).
    True when the agent was not there before (a new view, which the caller audits)."""
    if state not in PRESENCE_STATES:
        raise InputError("inbox.reply.presence_state", state=state, known=", ".join(PRESENCE_STATES))
    now = clock.now()
    await session.execute(
        delete(Presence).where(Presence.conversation_id == conversation_id, Presence.expires_at <= now)
    )
    row = await session.get(Presence, (conversation_id, agent_id))
    new = row is None
    if row is None:
        session.add(
            Presence(
                conversation_id=conversation_id,
                agent_id=agent_id,
                state=state,
                since=now,
                expires_at=now + timedelta(seconds=ttl),
            )
        )
    else:
        if row.state != state:
            row.state, row.since = state, now
        row.expires_at = now + timedelta(seconds=ttl)
    await session.flush()
    return new


async def leave(session: AsyncSession, conversation_id: int, agent_id: int) -> None:
    await session.execute(
        delete(Presence).where(Presence.conversation_id == conversation_id, Presence.agent_id == agent_id)
    )


async def presence(
    db: Database | AsyncSession, conversation_id: int, *, excluding: int | None = None
) -> list[Present]:
    """Who is on the conversation now (replying first), without ``excluding`` (the asking agent)."""
    query = (
        select(Presence, Agent.name)
        .join(Agent, Agent.id == Presence.agent_id)
        .where(Presence.conversation_id == conversation_id, Presence.expires_at > clock.now())
    )
    if excluding is not None:
        query = query.where(Presence.agent_id != excluding)
    if isinstance(db, AsyncSession):
        rows = (await db.execute(query)).all()
    else:
        async with db.session() as session:
            rows = (await session.execute(query)).all()
    found = [Present(name, row.state, row.since, row.expires_at) for row, name in rows]
    return sorted(found, key=lambda each: (each.state != "replying", each.since, each.agent))
