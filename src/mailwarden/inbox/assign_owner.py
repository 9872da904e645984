"""Sticky owners (FreeScout #1388): the agent who looks after a company or a contact.

A customer who writes again reaches the agent they dealt with, not whoever's turn it is. The owner is set

- **by answering** (:func:`note_answered`, called by the reply code when an agent's reply goes out, by
  :meth:`mailwarden.inbox.assign.Assigner.reassign` when a person assigns a conversation, and by the
  ingest hook when an agent's mail from their own address is archived): the company's owner and the
  contact's become that agent — unless a person pinned another one;
- **by hand** (:func:`set_owner`, ``mailwarden inbox owner set``): pinned; answering does not move it, only
  another ``owner set`` or ``owner clear`` does.

The company's owner comes first (a colleague of the buyer writing for the first time reaches the same
agent), then the contact's. Hand-set changes are audited (``inbox`` chain, target ``company:<domain>`` or
``contact:<address>``); an owner set by answering is a consequence of the audited reply or assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.audit.service import record as audit_record
from mailwarden.core import clock
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.domains import ascii_domain, registrable_domain
from mailwarden.inbox.events import CHAIN
from mailwarden.inbox.models import Company, ContactAddress, Conversation
from mailwarden.inbox.models_assign import StickyOwner
from mailwarden.inbox.parties import normalise_address

__all__ = ["Owner", "list_owners", "note_answered", "owners_of", "set_owner"]


@dataclass(frozen=True)
class Owner:
    #: ``company`` or ``contact``
    kind: str
    #: the company's domain or the contact's first address
    party: str
    agent: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "party": self.party, "agent": self.agent, "source": self.source}


def _insert(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(StickyOwner)


async def _upsert(session: AsyncSession, column: str, party_id: int, agent_id: int, source: str) -> None:
    """One statement: insert, or move the owner — a hand-set owner only by hand."""
    stmt = _insert(session).values(**{column: party_id}, agent_id=agent_id, source=source, set_at=clock.now())
    where = None if source == "manual" else StickyOwner.source != "manual"
    stmt = stmt.on_conflict_do_update(
        index_elements=[column],
        set_={"agent_id": agent_id, "source": source, "set_at": clock.now()},
        where=where,
    )
    await session.execute(stmt)


async def note_answered(session: AsyncSession, conversation: Conversation, agent: Agent) -> None:
    """``agent`` answered (or was given) ``conversation``: they become the sticky owner of its company and
    its contact, where no owner was pinned by hand. In the caller's transaction."""
    if conversation.company_id is not None:
        await _upsert(session, "company_id", conversation.company_id, agent.id, "answered")
    if conversation.contact_id is not None:
        await _upsert(session, "contact_id", conversation.contact_id, agent.id, "answered")


async def owners_of(
    session: AsyncSession, company_id: int | None, contact_id: int | None
) -> tuple[str | None, str | None]:
    """The names of the company's and the contact's owners (one query)."""
    if company_id is None and contact_id is None:
        return None, None
    conditions = []
    if company_id is not None:
        conditions.append(StickyOwner.company_id == company_id)
    if contact_id is not None:
        conditions.append(StickyOwner.contact_id == contact_id)
    rows = await session.execute(
        select(StickyOwner.company_id, Agent.name)
        .join(Agent, Agent.id == StickyOwner.agent_id)
        .where(or_(*conditions))
    )
    company_owner = contact_owner = None
    for owned_company, name in rows.all():
        if owned_company is not None:
            company_owner = name
        else:
            contact_owner = name
    return company_owner, contact_owner


async def _party(session: AsyncSession, company: str | None, contact: str | None) -> tuple[str, int, str]:
    if (company is None) == (contact is None):
        raise InputError("inbox.assign.owner_party")
    if company is not None:
        domain = ascii_domain(company.strip().lower())
        registrable = registrable_domain(domain) if domain else None
        row = await session.scalar(select(Company).where(Company.domain == (registrable or domain or "")))
        if row is None:
            raise NotFoundError("inbox.assign.company_not_found", domain=company)
        return "company_id", row.id, f"company:{row.domain}"
    assert contact is not None
    normal = normalise_address(contact)
    found = (
        None
        if normal is None
        else await session.scalar(select(ContactAddress).where(ContactAddress.key == normal.key))
    )
    if found is None:
        raise NotFoundError("inbox.assign.contact_not_found", address=contact)
    return "contact_id", found.contact_id, f"contact:{found.display}"


async def set_owner(
    db: Database,
    agent_name: str | None,
    *,
    company: str | None = None,
    contact: str | None = None,
    actor: str,
) -> Owner | None:
    """Pin ``agent_name`` as the owner of a company (by domain) or a contact (by address); None clears
    the owner (whoever set it). Returns the owner now."""
    async with db.session() as session, session.begin():
        column, party_id, target = await _party(session, company, contact)
        kind, party = target.split(":", 1)
        if agent_name is None:
            await session.execute(delete(StickyOwner).where(getattr(StickyOwner, column) == party_id))
            await audit_record(session, actor=actor, action="inbox.owner_cleared", target=target, chain=CHAIN)
            return None
        agent = await session.scalar(select(Agent).where(Agent.name == agent_name))
        if agent is None:
            raise NotFoundError("agent.not_found", name=agent_name)
        await _upsert(session, column, party_id, agent.id, "manual")
        await audit_record(
            session,
            actor=actor,
            action="inbox.owner_set",
            target=target,
            detail={"agent": agent.name},
            chain=CHAIN,
        )
        return Owner(kind, party, agent.name, "manual")


async def list_owners(db: Database, agent_name: str | None = None) -> list[Owner]:
    async with db.session() as session:
        query = (
            select(StickyOwner, Agent.name, Company.domain, ContactAddress.display)
            .join(Agent, Agent.id == StickyOwner.agent_id)
            .outerjoin(Company, Company.id == StickyOwner.company_id)
            .outerjoin(ContactAddress, ContactAddress.contact_id == StickyOwner.contact_id)
            .order_by(StickyOwner.id, ContactAddress.id)
        )
        if agent_name is not None:
            query = query.where(Agent.name == agent_name)
        out: dict[int, Owner] = {}
        for row, name, domain, address in (await session.execute(query)).all():
            if row.id in out:
                continue  # a contact's first address names it
            kind = "company" if row.company_id is not None else "contact"
            out[row.id] = Owner(kind, domain if kind == "company" else address, name, row.source)
    return list(out.values())
