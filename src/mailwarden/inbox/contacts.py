"""Merging duplicate contacts, and listing the candidates (:func:`.parties.merge_candidates`).

Merging contact B into A moves B's addresses to A (an address is one contact: the next mail from it finds
A), points B's conversations and messages at A, fills what A lacks (name, company, country, language) from
B, and sets ``B.merged_into_id`` = A — B's row stays, so old references resolve (ingest follows the
pointer, :meth:`.lookup.BatchLookup.contact`). Contacts merged into B before now point to A. Contacts are
shared by all mailboxes; a user limited to some mailboxes sees (and may merge) a contact only if it is in
one of their conversations. The merge is an event of the ``inbox`` audit chain (target ``contact:<id>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.audit.service import record as audit_record
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.collab import serialise
from mailwarden.inbox.events import CHAIN
from mailwarden.inbox.models import Company, Contact, ContactAddress, Conversation, ConversationMessage
from mailwarden.inbox.parties import KnownContact, merge_candidates

__all__ = ["CandidateGroup", "ContactMerge", "ContactSummary", "list_merge_candidates", "merge_contacts"]


@dataclass
class ContactSummary:
    id: int
    name: str
    addresses: list[str]
    company: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CandidateGroup:
    reason: str  # same_address | same_name_same_company
    contacts: list[ContactSummary]

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "contacts": [c.as_dict() for c in self.contacts]}


@dataclass
class ContactMerge:
    into_id: int
    from_id: int
    addresses: int
    conversations: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _contact(session: AsyncSession, contact_id: int, mailbox_ids: Sequence[int] | None) -> Contact:
    contact = await session.get(Contact, contact_id, populate_existing=True)
    if contact is not None and mailbox_ids is not None:
        seen = await session.scalar(
            select(Conversation.id)
            .where(Conversation.contact_id == contact_id, Conversation.mailbox_id.in_(list(mailbox_ids)))
            .limit(1)
        )
        contact = contact if seen is not None else None
    if contact is None:
        raise NotFoundError("inbox.collab.contact_not_found", id=contact_id)
    return contact


async def merge_contacts(
    db: Database,
    into: int,
    from_: int,
    *,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> ContactMerge:
    """Merge contact ``from_`` into ``into`` (see the module docstring). Raises ``NotFoundError``,
    ``InputError`` (the same contact), ``ConflictError`` (either merged already)."""
    if into == from_:
        raise InputError("inbox.collab.contact_merge_self", id=into)
    async with db.session() as session, session.begin():
        await serialise(session)  # the ingest creates and completes contacts: never in between
        target = await _contact(session, into, mailbox_ids)
        source = await _contact(session, from_, mailbox_ids)
        for each in (target, source):
            if each.merged_into_id is not None:
                raise ConflictError("inbox.collab.contact_merged", id=each.id, into=each.merged_into_id)
        addresses = await session.execute(
            update(ContactAddress).where(ContactAddress.contact_id == source.id).values(contact_id=target.id)
        )
        conversations = await session.execute(
            update(Conversation).where(Conversation.contact_id == source.id).values(contact_id=target.id)
        )
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.contact_id == source.id)
            .values(contact_id=target.id)
        )
        await session.execute(
            update(Contact).where(Contact.merged_into_id == source.id).values(merged_into_id=target.id)
        )
        target.name = target.name or source.name
        target.company_id = target.company_id or source.company_id
        if target.country is None and source.country is not None:
            target.country, target.country_source = source.country, source.country_source
        target.language = target.language or source.language
        source.merged_into_id = target.id
        result = ContactMerge(
            target.id,
            source.id,
            int(addresses.rowcount),  # type: ignore[attr-defined]
            int(conversations.rowcount),  # type: ignore[attr-defined]
        )
        await audit_record(
            session,
            actor=actor,
            action="inbox.contact_merged",
            target=f"contact:{target.id}",
            detail={"from": source.id, "addresses": result.addresses, "conversations": result.conversations},
            chain=CHAIN,
        )
        return result


async def list_merge_candidates(
    db: Database, *, mailbox_ids: Sequence[int] | None = None, limit: int = 200
) -> list[CandidateGroup]:
    """Groups of contacts that look like one person, for an agent to merge (never merged automatically).
    A user limited to some mailboxes sees groups of contacts of their conversations only."""
    async with db.session() as session:
        query = (
            select(Contact.id, Contact.name, ContactAddress.display, Company.domain)
            .join(ContactAddress, ContactAddress.contact_id == Contact.id)
            .outerjoin(Company, Company.id == Contact.company_id)
            .where(Contact.merged_into_id.is_(None))
            .order_by(Contact.id, ContactAddress.id)
        )
        if mailbox_ids is not None:
            visible = select(Conversation.contact_id).where(Conversation.mailbox_id.in_(list(mailbox_ids)))
            query = query.where(Contact.id.in_(visible))
        rows = (await session.execute(query)).all()
    summaries: dict[int, ContactSummary] = {}
    known: list[KnownContact] = []
    for contact_id, name, address, domain in rows:
        summary = summaries.setdefault(contact_id, ContactSummary(contact_id, name, [], domain))
        summary.addresses.append(address)
        known.append(KnownContact(str(contact_id), address, name, domain))
    groups = []
    for candidate in merge_candidates(known):
        ids = list(dict.fromkeys(int(i) for i in candidate.contact_ids))
        if len(ids) > 1:  # two addresses of one contact are no duplicate
            groups.append(CandidateGroup(candidate.reason, [summaries[i] for i in ids]))
    return groups[:limit]
