"""The ``inquiry.new`` alert an assignment raises: queued in the assignment's own transaction
(:func:`mailwarden.notify.service.enqueue_in`), so it goes out if and only if the assignment commits.

Keys: ``inquiry/<conversation uid>`` when the inquiry first arrives (assigned, or queued naming nobody);
``inquiry/<uid>/<agent uid>`` when the queue or a person gives it to someone later — the outbox keeps one
alert per key and channel, so each new assignee is told once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.inbox.models import Company, Contact, Conversation
from mailwarden.inbox.place import Placed
from mailwarden.notify.alerts import Alert, Person
from mailwarden.notify.service import enqueue_in

__all__ = ["EXCERPT_CHARS", "announce", "person"]

#: how much of the first message an ``inquiry.new`` alert quotes
EXCERPT_CHARS = 200


def person(agent: Agent) -> Person:
    """The agent as an alert @mentions them (identities are loaded with the agent)."""
    return Person(agent.name, agent.email, agent.timezone, {i.kind: i.ident for i in agent.identities})


async def announce(
    session: AsyncSession, conversation: Conversation, agent: Agent | None, placed: Placed | None, key: str
) -> None:
    """Queue the alert for ``conversation``, mentioning ``agent`` (None: nobody took it yet). ``placed``:
    the message that opened it, when there is one at hand (the sender and an excerpt)."""
    company = await session.get(Company, conversation.company_id) if conversation.company_id else None
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    params: dict[str, str] = {"subject": conversation.subject or "-"}
    if placed is not None:
        sender = placed.message.from_addr or ""
        name = placed.message.from_name
        params["customer"] = f"{name} <{sender}>" if name else sender
        excerpt = " ".join(placed.text.split())[:EXCERPT_CHARS]
        if excerpt:
            params["excerpt"] = excerpt
    elif contact is not None and contact.name:
        params["customer"] = contact.name
    if company is not None:
        params["company"] = company.display_domain
    country = (company.country if company else None) or (contact.country if contact else None)
    if country:
        params["country"] = country
    if agent is not None:
        params["assignee"] = agent.name
    mentions = (person(agent),) if agent is not None else ()
    await enqueue_in(session, Alert("inquiry.new", key, params, mentions))
