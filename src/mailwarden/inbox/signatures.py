"""Agents' signatures: one default per agent, and optionally one per mailbox that wins over it.

Text is what every reply carries (below RFC 3676's "-- " line); HTML, when set, is used in the HTML
version of a reply, cleaned with nh3 when stored — a signature pasted from a web page or a mail client
brings styles and sometimes scripts, and it is sent with every reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.compose import clean_html
from mailwarden.inbox.models_reply import Signature
from mailwarden.mailboxes.models import Mailbox

__all__ = ["MAX_SIGNATURE", "SignatureText", "set_signature", "signature_for"]

#: characters: a signature longer than a page is a mistake (a whole mail pasted in)
MAX_SIGNATURE = 10_000


@dataclass(frozen=True, slots=True)
class SignatureText:
    text: str
    html: str | None


async def set_signature(
    db: Database, agent: str, *, text: str, html: str | None = None, mailbox: str | None = None
) -> SignatureText:
    """Store ``agent``'s signature (for ``mailbox`` only, when given). Raises ``NotFoundError``."""
    if len(text) > MAX_SIGNATURE or (html is not None and len(html) > MAX_SIGNATURE * 5):
        raise InputError("inbox.reply.signature_long", maximum=MAX_SIGNATURE)
    cleaned = clean_html(html) if html else None
    async with db.session() as session, session.begin():
        found = await session.scalar(select(Agent).where(Agent.name == agent))
        if found is None:
            raise NotFoundError("agent.not_found", name=agent)
        mailbox_id = None
        if mailbox is not None:
            mailbox_id = await session.scalar(select(Mailbox.id).where(Mailbox.name == mailbox))
            if mailbox_id is None:
                raise NotFoundError("inbox.unknown_mailbox", name=mailbox)
        condition = (
            Signature.mailbox_id.is_(None) if mailbox_id is None else Signature.mailbox_id == mailbox_id
        )
        row = await session.scalar(select(Signature).where(Signature.agent_id == found.id, condition))
        if row is None:
            session.add(Signature(agent_id=found.id, mailbox_id=mailbox_id, text=text, html=cleaned))
        else:
            row.text, row.html = text, cleaned
    return SignatureText(text, cleaned)


async def signature_for(session: AsyncSession, agent_id: int, mailbox_id: int) -> SignatureText:
    """The agent's signature for this mailbox, else their default, else none."""
    rows = list(
        await session.scalars(
            select(Signature).where(
                Signature.agent_id == agent_id,
                (Signature.mailbox_id == mailbox_id) | Signature.mailbox_id.is_(None),
            )
        )
    )
    rows.sort(key=lambda row: row.mailbox_id is None)
    return SignatureText(rows[0].text, rows[0].html) if rows else SignatureText("", None)
