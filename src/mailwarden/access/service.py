"""Adding, listing and removing agents; an agent's identities come as ``KIND:ID`` strings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailwarden.access.models import Agent, AgentIdentity
from mailwarden.core.errors import ConflictError, InputError
from mailwarden.db.engine import Database
from mailwarden.db.named import get_named, list_named, remove_named

__all__ = ["IM_KINDS", "add_agent", "get_agent", "list_agents", "parse_identity", "remove_agent"]

#: the chat systems alerts can mention people in (notify's channel kinds that have mentions)
IM_KINDS = ("dingtalk", "feishu", "lark", "wecom", "slack", "teams")
_NAME = re.compile(r"^[^\s/\\][^/\\]{0,99}$")


def parse_identity(text: str) -> tuple[str, str]:
    kind, sep, ident = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in IM_KINDS or not ident.strip() or len(ident) > 200:
        raise InputError("agent.bad_identity", value=text, kinds=", ".join(IM_KINDS))
    return kind, ident.strip()


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("agent.bad_timezone", value=name) from None


async def add_agent(
    db: Database, name: str, email: str, *, timezone: str | None = None, ims: Sequence[str] = ()
) -> Agent:
    if not _NAME.match(name):
        raise InputError(detail=f"agent name {name!r}: 1 to 100 characters, no slashes")
    if email.count("@") != 1 or not all(email.split("@")) or any(c in email for c in " <>,;"):
        raise InputError(detail=f"{email!r} is not an e-mail address")
    if timezone:
        _check_zone(timezone)
    identities: dict[str, str] = {}
    for text in ims:
        kind, ident = parse_identity(text)
        if kind in identities:
            raise InputError("agent.identity_twice", kind=kind)
        identities[kind] = ident
    agent = Agent(name=name, email=email, timezone=timezone or None)
    agent.identities = [AgentIdentity(kind=k, ident=v) for k, v in identities.items()]
    async with db.session() as session:
        if await session.scalar(select(Agent.id).where(Agent.name == name)) is not None:
            raise ConflictError("agent.exists", name=name)
        session.add(agent)
        try:
            await session.commit()
        except IntegrityError:
            raise ConflictError("agent.exists", name=name) from None
    return await get_agent(db, name)


async def list_agents(db: Database) -> list[Agent]:
    return await list_named(db, Agent, Agent.name)


async def get_agent(db: Database, name: str) -> Agent:
    return await get_named(db, Agent, Agent.name, name, "agent.not_found")


async def remove_agent(db: Database, name: str) -> None:
    await remove_named(db, Agent, Agent.name, name, "agent.not_found")
