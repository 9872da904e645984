"""Who is asking, and what they may see: API tokens, mailbox grants, and the :class:`Principal` they make.

Roles are ordered: ``read`` (see a mailbox's conversations) < ``answer`` (also reply, write notes, tag,
change status) < ``manage`` (also assign, merge, split). A principal's :meth:`~Principal.mailbox_ids` for a
role is the set of mailboxes it holds that role or a higher one in — what every service function takes as
``mailbox_ids`` — so a mailbox without a grant is invisible: not listed, not found, not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update

from mailwarden.access.models import Agent, ApiToken, MailboxGrant
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "ROLES",
    "Principal",
    "authenticate",
    "create_token",
    "grant",
    "list_grants",
    "list_tokens",
    "principal_for_agent",
    "revoke_grant",
    "revoke_token",
]

ROLES = ("read", "answer", "manage")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
_TOKEN_PREFIX = "mw_"  # noqa: S105 - the visible prefix of every token, not a secret


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``roles``: mailbox id → role; ignored for ``admin`` (every mailbox)."""

    actor: str
    agent: str | None = None
    agent_id: int | None = None
    admin: bool = False
    roles: Mapping[int, str] = field(default_factory=dict)

    def mailbox_ids(self, role: str = "read") -> frozenset[int] | None:
        """The mailboxes this principal holds ``role`` (or more) in; None: all of them (admin)."""
        if self.admin:
            return None
        need = _RANK[role]
        return frozenset(mailbox for mailbox, held in self.roles.items() if _RANK[held] >= need)

    def require_agent(self) -> str:
        """The agent this principal acts as; an admin token acts as nobody and cannot reply or take notes."""
        if self.agent is None:
            raise PermissionDeniedError("access.needs_agent")
        return self.agent


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _agent(db: Database, name: str) -> Agent:
    async with db.session() as session:
        agent = await session.scalar(select(Agent).where(Agent.name == name))
    if agent is None:
        raise NotFoundError("agent.not_found", name=name)
    return agent


async def create_token(
    db: Database,
    name: str,
    *,
    agent: str | None = None,
    admin: bool = False,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the token itself, which is not stored and cannot be shown again."""
    if not name.strip() or len(name) > 100:
        raise InputError("access.token_name_invalid")
    if agent is None and not admin:
        raise InputError("access.token_needs_owner")
    agent_id = (await _agent(db, agent)).id if agent else None
    prefix = secrets.token_hex(6)
    token = f"{_TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        name=name.strip(), prefix=prefix, digest=_digest(token), agent_id=agent_id, admin=admin,
        expires_at=expires_at,
    )  # fmt: skip
    async with db.session() as session, session.begin():
        if await session.scalar(select(ApiToken.id).where(ApiToken.name == row.name)) is not None:
            raise ConflictError("access.token_exists", name=row.name)
        session.add(row)
    return row, token


async def list_tokens(db: Database) -> list[tuple[ApiToken, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(ApiToken, Agent.name)
            .outerjoin(Agent, Agent.id == ApiToken.agent_id)
            .order_by(ApiToken.name)
        )
        return [(token, agent) for token, agent in rows.all()]


async def revoke_token(db: Database, name: str) -> None:
    async with db.session() as session, session.begin():
        done = await session.execute(
            update(ApiToken)
            .where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFoundError("access.token_not_found", name=name)


async def principal_for_agent(db: Database, agent: Agent | str, *, actor: str | None = None) -> Principal:
    """The principal of an agent (its grants), e.g. for the CLI's ``--as AGENT``."""
    row = await _agent(db, agent) if isinstance(agent, str) else agent
    async with db.session() as session:
        grants = await session.execute(
            select(MailboxGrant.mailbox_id, MailboxGrant.role).where(MailboxGrant.agent_id == row.id)
        )
        roles = {mailbox: role for mailbox, role in grants.all()}
    return Principal(actor or f"agent:{row.name}", agent=row.name, agent_id=row.id, roles=roles)


async def authenticate(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for; None for anything else (unknown, revoked, expired)."""
    if not token.startswith(_TOKEN_PREFIX) or len(token) > 200:
        return None
    prefix = token[len(_TOKEN_PREFIX) :].partition("_")[0]
    async with db.session() as session, session.begin():
        row = await session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
        now = clock.now()
        if (
            row is None
            or not hmac.compare_digest(row.digest, _digest(token))
            or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now)
        ):
            return None
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now  # at most once a minute: a busy client does not write per request
        agent = await session.get(Agent, row.agent_id) if row.agent_id is not None else None
        name = row.name
        admin = row.admin
    if agent is not None:
        principal = await principal_for_agent(db, agent, actor=f"api:{name}")
        return Principal(principal.actor, principal.agent, principal.agent_id, admin, principal.roles)
    return Principal(f"api:{name}", admin=admin)


async def _mailbox_id(db: Database, mailbox: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Mailbox.id).where(func.lower(Mailbox.name) == mailbox.lower()))
    if found is None:
        raise NotFoundError("inbox.unknown_mailbox", name=mailbox)
    return int(found)


async def grant(db: Database, agent: str, mailbox: str, role: str) -> None:
    """Give ``agent`` ``role`` in ``mailbox`` (replacing the role held before)."""
    if role not in _RANK:
        raise InputError("access.role_unknown", role=role, known=", ".join(ROLES))
    agent_id = (await _agent(db, agent)).id
    mailbox_id = await _mailbox_id(db, mailbox)
    async with db.session() as session, session.begin():
        row = await session.scalar(
            select(MailboxGrant).where(
                MailboxGrant.agent_id == agent_id, MailboxGrant.mailbox_id == mailbox_id
            )
        )
        if row is None:
            session.add(MailboxGrant(agent_id=agent_id, mailbox_id=mailbox_id, role=role))
        else:
            row.role = role


async def revoke_grant(db: Database, agent: str, mailbox: str) -> None:
    agent_id = (await _agent(db, agent)).id
    mailbox_id = await _mailbox_id(db, mailbox)
    async with db.session() as session, session.begin():
        row = await session.scalar(
            select(MailboxGrant).where(
                MailboxGrant.agent_id == agent_id, MailboxGrant.mailbox_id == mailbox_id
            )
        )
        if row is None:
            raise NotFoundError("access.grant_not_found", agent=agent, mailbox=mailbox)
        await session.delete(row)


async def list_grants(db: Database) -> list[tuple[str, str, str]]:
    """(agent, mailbox, role), by agent then mailbox."""
    async with db.session() as session:
        rows = await session.execute(
            select(Agent.name, Mailbox.name, MailboxGrant.role)
            .join(Agent, Agent.id == MailboxGrant.agent_id)
            .join(Mailbox, Mailbox.id == MailboxGrant.mailbox_id)
            .order_by(Agent.name, Mailbox.name)
        )
        return [(a, m, r) for a, m, r in rows.all()]
