"""Reading the team inbox: what ``mailwarden inbox list|show`` and (later) the REST API call.

``mailbox_ids`` limits every read to the mailboxes a reader may see (None: all, for the command line run by
the administrator). A conversation outside them is reported as not found — the same answer as for one that
does not exist, so a reader without rights learns nothing of it, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.models import (
    STATUSES,
    BounceLink,
    Company,
    Contact,
    ContactAddress,
    Conversation,
    ConversationMessage,
)
from mailwarden.inbox.models_collab import ConversationTag
from mailwarden.inbox.tags import normalise_tag, tags_of
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "BounceView",
    "CompanyView",
    "ContactView",
    "ConversationSummary",
    "ConversationView",
    "MessageView",
    "Page",
    "list_conversations",
    "show_conversation",
]

MAX_LIMIT = 500


@dataclass
class ConversationSummary:
    id: int
    uid: str
    mailbox: str
    subject: str
    status: str
    snoozed_until: datetime | None
    contact: str | None  # the contact's name, else first address
    company: str | None  # the company's domain (Unicode)
    assignee: str | None
    messages: int  # person messages, copies not counted
    created_at: datetime
    first_message_at: datetime | None
    last_message_at: datetime | None
    last_customer_at: datetime | None
    last_agent_at: datetime | None
    priority: str = "normal"
    #: what the SLA worker last computed: the running cycle's due time and its outcome (running, paused,
    #: met, breached); ``inbox show`` and ``/sla`` compute it afresh
    sla_due_at: datetime | None = None
    sla_outcome: str | None = None


@dataclass
class Page:
    items: list[ConversationSummary]
    total: int
    limit: int
    offset: int


@dataclass
class BounceView:
    format: str
    permanent: bool
    recipients: list[dict[str, Any]]
    #: the inbox message of ours it returned, when we know it
    original_id: int | None


@dataclass
class MessageView:
    id: int
    direction: str
    noise: str
    at: datetime
    from_addr: str | None
    from_name: str | None
    subject: str
    message_id: str | None
    language: str | None
    threaded_by: str | None
    archive_message_id: int | None
    #: copies of this message with other bytes (as delivered and as saved in Sent): shown once
    copies: int = 0
    bounce: BounceView | None = None


@dataclass
class ContactView:
    id: int
    name: str
    addresses: list[str]
    country: str | None
    language: str | None


@dataclass
class CompanyView:
    id: int
    domain: str
    display_domain: str
    country: str | None
    country_source: str | None


@dataclass
class ConversationView:
    summary: ConversationSummary
    token: str
    language: str | None
    messages: list[MessageView]
    contact: ContactView | None
    company: CompanyView | None
    suggested_ids: list[int] = field(default_factory=list)
    #: the conversation this one was merged into (showing a merged one points there), else None
    merged_into_id: int | None = None
    tags: list[str] = field(default_factory=list)


def _summaries() -> Select[Any]:
    counted = (
        select(func.count())
        .where(
            ConversationMessage.conversation_id == Conversation.id,
            ConversationMessage.noise == "person",
            ConversationMessage.copy_of_id.is_(None),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    first_address = (
        select(func.min(ContactAddress.display))
        .where(ContactAddress.contact_id == Conversation.contact_id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        select(
            Conversation,
            Mailbox.name,
            Contact.name,
            first_address,
            Company.display_domain,
            Agent.name,
            counted,
        )
        .join(Mailbox, Mailbox.id == Conversation.mailbox_id)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Company, Company.id == Conversation.company_id)
        .outerjoin(Agent, Agent.id == Conversation.assignee_id)
    )


def _summary(row: Any) -> ConversationSummary:
    conversation, mailbox, contact_name, address, company, assignee, count = row
    return ConversationSummary(
        id=conversation.id,
        uid=conversation.uid,
        mailbox=mailbox,
        subject=conversation.subject,
        status=conversation.status,
        snoozed_until=conversation.snoozed_until,
        contact=contact_name or address,
        company=company,
        assignee=assignee,
        messages=int(count or 0),
        created_at=conversation.created_at,
        first_message_at=conversation.first_message_at,
        last_message_at=conversation.last_message_at,
        last_customer_at=conversation.last_customer_at,
        last_agent_at=conversation.last_agent_at,
        priority=conversation.priority,
        sla_due_at=conversation.sla_due_at,
        sla_outcome=conversation.sla_outcome,
    )


async def list_conversations(
    db: Database,
    *,
    mailbox: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    mailbox_ids: Sequence[int] | None = None,
    tag: str | None = None,
    include_merged: bool = False,
) -> Page:
    """Conversations, the most recent activity first; with ``tag``, those carrying it. Conversations merged
    into another are left out unless ``include_merged``. Raises ``InputError`` for an unknown status, a bad
    tag or a bad page, ``NotFoundError`` for an unknown mailbox (or one outside ``mailbox_ids``)."""
    if status is not None and status not in STATUSES:
        raise InputError("inbox.status_unknown", status=status, known=", ".join(STATUSES))
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InputError("inbox.page_invalid", maximum=MAX_LIMIT)
    async with db.session() as session:
        conditions = []
        if mailbox is not None:
            found = await session.scalar(
                select(Mailbox.id).where(func.lower(Mailbox.name) == mailbox.lower())
            )
            if found is None or (mailbox_ids is not None and found not in mailbox_ids):
                raise NotFoundError("inbox.unknown_mailbox", name=mailbox)
            conditions.append(Conversation.mailbox_id == found)
        if mailbox_ids is not None:
            conditions.append(Conversation.mailbox_id.in_(mailbox_ids))
        if status is not None:
            conditions.append(Conversation.status == status)
        if not include_merged:
            conditions.append(Conversation.merged_into_id.is_(None))
        if tag is not None:
            tagged = select(ConversationTag.id).where(
                ConversationTag.conversation_id == Conversation.id, ConversationTag.tag == normalise_tag(tag)
            )
            conditions.append(tagged.exists())
        total = await session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
        rows = await session.execute(
            _summaries()
            .where(*conditions)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return Page([_summary(row) for row in rows.all()], int(total or 0), limit, offset)


def _message_view(row: ConversationMessage) -> MessageView:
    return MessageView(
        id=row.id,
        direction=row.direction,
        noise=row.noise,
        at=row.at,
        from_addr=row.from_addr,
        from_name=row.from_name,
        subject=row.subject,
        message_id=row.message_id,
        language=row.language,
        threaded_by=row.threaded_by,
        archive_message_id=row.archive_message_id,
    )


async def show_conversation(
    db: Database, ident: str | int, *, mailbox_ids: Sequence[int] | None = None
) -> ConversationView:
    """One conversation by id or uid, with its messages (oldest first; copies folded into the first),
    contact and company. Raises ``NotFoundError``."""
    text = str(ident).strip()
    by_id = text.isdigit() and len(text) <= 12  # a longer number is no row id (and would overflow)
    condition = Conversation.id == int(text) if by_id else Conversation.uid == text.lower()
    async with db.session() as session:
        query = _summaries().where(condition)
        if mailbox_ids is not None:
            query = query.where(Conversation.mailbox_id.in_(mailbox_ids))
        row = (await session.execute(query)).first()
        if row is None:
            raise NotFoundError("inbox.conversation_not_found", id=text[:64])
        conversation: Conversation = row[0]
        stored = list(
            await session.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.conversation_id == conversation.id)
                .order_by(ConversationMessage.at, ConversationMessage.id)
            )
        )
        bounces = {
            link.bounce_id: link
            for link in await session.scalars(
                select(BounceLink).where(BounceLink.conversation_id == conversation.id)
            )
        }
        views: dict[int, MessageView] = {}
        for message in stored:
            if message.copy_of_id is not None and message.copy_of_id in views:
                views[message.copy_of_id].copies += 1
                continue
            view = _message_view(message)
            link = bounces.get(message.id)
            if link is not None:
                view.bounce = BounceView(link.format, link.permanent, list(link.recipients), link.original_id)
            views[message.id] = view
        contact = await _contact(session, conversation.contact_id)
        company = await session.get(Company, conversation.company_id) if conversation.company_id else None
        tags = await tags_of(session, conversation.id)
    return ConversationView(
        summary=_summary(row),
        token=conversation.token,
        language=conversation.language,
        messages=list(views.values()),
        contact=contact,
        company=None
        if company is None
        else CompanyView(
            company.id, company.domain, company.display_domain, company.country, company.country_source
        ),
        suggested_ids=list(conversation.suggested_ids),
        merged_into_id=conversation.merged_into_id,
        tags=tags,
    )


async def _contact(session: AsyncSession, contact_id: int | None) -> ContactView | None:
    if contact_id is None:
        return None
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return None
    addresses = list(
        await session.scalars(
            select(ContactAddress.display)
            .where(ContactAddress.contact_id == contact.id)
            .order_by(ContactAddress.id)
        )
    )
    return ContactView(contact.id, contact.name, addresses, contact.country, contact.language)
