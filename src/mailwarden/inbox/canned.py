"""Canned replies: named templates with ``{variables}``, filled in for one conversation and one agent.

The template language is deliberately tiny, and parsed here rather than handed to ``str.format``:
``{customer_first_name}`` is a variable, ``{customer_first_name|there}`` one with a fallback for when it
is empty ("Dear {customer_first_name|customer},"), ``{{`` and ``}}`` are literal braces. Nothing else:
no attribute access, no indexing, no format specs — ``{0.__class__}`` or ``{agent_name!r:>99999}`` is an
error, not a way into the program's objects or its memory. A variable outside :data:`VARIABLES` is an
``InputError`` naming it, at saving time (so a broken template is never stored) and at rendering.

Values are plain strings. The HTML variant gets them HTML-escaped (a customer called ``<script>`` stays
text); the plain variant gets them as they are.
"""

from __future__ import annotations

import html as html_
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.audit.service import record as audit_record
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox.collab import find
from mailwarden.inbox.events import CHAIN
from mailwarden.inbox.models import Company, Contact, ContactAddress, Conversation
from mailwarden.inbox.models_collab import CannedReply
from mailwarden.mailboxes.models import Mailbox

__all__ = [
    "MAX_BODY",
    "VARIABLES",
    "CannedView",
    "Rendered",
    "add_canned",
    "first_name",
    "get_canned",
    "list_canned",
    "parse_template",
    "remove_canned",
    "render_canned",
    "render_template",
]

#: what a template may name, and what each is
VARIABLES = {
    "customer_name": "the contact's name (else the address)",
    "customer_first_name": "the contact's first name (a Chinese name: the whole name)",
    "customer_email": "the contact's first address",
    "company": "the company's name, else its domain",
    "agent_name": "the agent's name",
    "agent_email": "the agent's address",
    "mailbox_name": "the mailbox's name",
    "mailbox_address": "the shared address",
    "conversation_subject": "the conversation's subject",
    "conversation_id": "the conversation's number",
}
MAX_BODY = 100_000
_NAME = re.compile(r"^[^\s/\\{}][^/\\{}]{0,99}$")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_VARIABLE = re.compile(r"([a-z_]+)(?:\|([^{}|]*))?")

#: a parsed template: literal text, or (variable, fallback)
Part = str | tuple[str, str]


def parse_template(text: str) -> list[Part]:
    """The parts of ``text`` (see the module docstring); ``InputError`` for an unknown variable or a
    stray brace."""
    parts: list[Part] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[last : match.start()])
        last = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        inner = match.group(1)
        if inner is None:  # a lone { or }
            raise InputError("inbox.collab.template_brace", position=match.start() + 1)
        variable = _VARIABLE.fullmatch(inner.strip())
        if variable is None or variable.group(1) not in VARIABLES:
            raise InputError(
                "inbox.collab.template_unknown",
                name=inner.strip()[:60],
                known=", ".join(VARIABLES),
            )
        parts.append((variable.group(1), (variable.group(2) or "").strip()))
    parts.append(text[last:])
    return [p for p in parts if p != ""]


def render_template(text: str, values: Mapping[str, str], *, as_html: bool = False) -> str:
    """``text`` filled in from ``values`` (every name in :data:`VARIABLES`); escaped for HTML if asked."""
    out = []
    for part in parse_template(text):
        if isinstance(part, str):
            out.append(part)
            continue
        name, fallback = part
        value = values.get(name) or fallback
        out.append(html_.escape(value) if as_html else value)
    return "".join(out)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def first_name(name: str) -> str:
    """ "Anna Weber" -> "Anna"; "Weber, Anna" -> "Anna"; a CJK name ("王芳") stays whole: the family name
    comes first, and "Dear 王" would be rude."""
    name = " ".join(name.replace('"', " ").split())
    if not name or _CJK.search(name):
        return name
    if "," in name:
        after = name.split(",", 1)[1].strip()
        return after.split(" ")[0] if after else name.split(",")[0]
    return name.split(" ")[0]


@dataclass
class CannedView:
    id: int
    name: str
    mailbox: str | None
    body: str
    html: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Rendered:
    name: str
    conversation_id: int
    text: str
    html: str | None
    #: the values used, for a preview that shows what came from where
    values: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise InputError("inbox.collab.canned_name_invalid", name=name[:100])
    return name


def _check_body(body: str, label: str) -> str:
    if not body.strip():
        raise InputError("inbox.collab.canned_empty", part=label)
    if len(body) > MAX_BODY:
        raise InputError("inbox.collab.canned_too_long", part=label, maximum=MAX_BODY)
    parse_template(body)
    return body


async def _mailbox_id(session: AsyncSession, name: str, mailbox_ids: Sequence[int] | None) -> int:
    found = await session.scalar(select(Mailbox.id).where(func.lower(Mailbox.name) == name.lower()))
    if found is None or (mailbox_ids is not None and found not in mailbox_ids):
        raise NotFoundError("inbox.unknown_mailbox", name=name)
    return found


def _visible(mailbox_ids: Sequence[int] | None) -> Any:
    if mailbox_ids is None:
        return True
    return or_(CannedReply.mailbox_id.is_(None), CannedReply.mailbox_id.in_(list(mailbox_ids)))


async def _view(session: AsyncSession, row: CannedReply) -> CannedView:
    mailbox = await session.get(Mailbox, row.mailbox_id) if row.mailbox_id is not None else None
    return CannedView(
        row.id,
        row.name,
        mailbox.name if mailbox else None,
        row.body,
        row.html,
        row.created_by,
        row.created_at,
        row.updated_at,
    )


async def add_canned(
    db: Database,
    name: str,
    body: str,
    *,
    html: str | None = None,
    mailbox: str | None = None,
    replace: bool = False,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> CannedView:
    """Store a canned reply (``replace``: overwrite the one of that name). A user limited to some
    mailboxes (``mailbox_ids``) may only store replies for one of them, not global ones. Raises
    ``InputError`` (name, empty or broken template), ``ConflictError`` (the name is taken),
    ``NotFoundError`` (the mailbox)."""
    name = _check_name(name)
    body = _check_body(body, "text")
    if html is not None:
        html = _check_body(html, "html")
    if mailbox is None and mailbox_ids is not None:
        raise InputError("inbox.collab.canned_needs_mailbox")
    async with db.session() as session, session.begin():
        mailbox_id = await _mailbox_id(session, mailbox, mailbox_ids) if mailbox is not None else None
        key = name.casefold()
        row = await session.scalar(select(CannedReply).where(CannedReply.name_key == key))
        if row is not None:
            if not replace:
                raise ConflictError("inbox.collab.canned_exists", name=name)
            if mailbox_ids is not None and row.mailbox_id not in mailbox_ids:
                raise ConflictError("inbox.collab.canned_exists", name=name)
            row.name, row.body, row.html, row.mailbox_id = name, body, html, mailbox_id
            row.updated_at = clock.now()
        else:
            row = CannedReply(
                name=name, name_key=key, mailbox_id=mailbox_id, body=body, html=html, created_by=actor
            )
            session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise ConflictError("inbox.collab.canned_exists", name=name) from None
        await audit_record(
            session,
            actor=actor,
            action="inbox.canned_saved",
            target=f"canned:{row.name}",
            detail={"mailbox_id": mailbox_id, "body": body, "html": html},
            chain=CHAIN,
        )
        return await _view(session, row)


async def _row(session: AsyncSession, name: str, mailbox_ids: Sequence[int] | None) -> CannedReply:
    row = await session.scalar(
        select(CannedReply).where(CannedReply.name_key == name.strip().casefold(), _visible(mailbox_ids))
    )
    if row is None:
        raise NotFoundError("inbox.collab.canned_not_found", name=name)
    return row


async def get_canned(db: Database, name: str, *, mailbox_ids: Sequence[int] | None = None) -> CannedView:
    async with db.session() as session:
        return await _view(session, await _row(session, name, mailbox_ids))


async def list_canned(
    db: Database, *, mailbox: str | None = None, mailbox_ids: Sequence[int] | None = None
) -> list[CannedView]:
    """The canned replies a user may use, by name; with ``mailbox``, those usable there (its own and the
    global ones)."""
    async with db.session() as session:
        query = select(CannedReply).where(_visible(mailbox_ids)).order_by(CannedReply.name_key)
        if mailbox is not None:
            mailbox_id = await _mailbox_id(session, mailbox, mailbox_ids)
            query = query.where(or_(CannedReply.mailbox_id.is_(None), CannedReply.mailbox_id == mailbox_id))
        return [await _view(session, row) for row in await session.scalars(query)]


async def remove_canned(
    db: Database, name: str, *, actor: str, mailbox_ids: Sequence[int] | None = None
) -> None:
    """Remove a canned reply (a user limited to some mailboxes: only one of theirs, not a global one).
    ``actor`` is recorded in the audit chain."""
    async with db.session() as session, session.begin():
        row = await _row(session, name, mailbox_ids)
        if mailbox_ids is not None and row.mailbox_id is None:
            raise InputError("inbox.collab.canned_needs_mailbox")
        await audit_record(
            session,
            actor=actor,
            action="inbox.canned_removed",
            target=f"canned:{row.name}",
            detail={"body": row.body, "html": row.html},
            chain=CHAIN,
        )
        await session.delete(row)


async def _values(session: AsyncSession, conversation: Conversation, agent: Agent) -> dict[str, str]:
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    address = (
        await session.scalar(
            select(ContactAddress.display)
            .where(ContactAddress.contact_id == contact.id)
            .order_by(ContactAddress.id)
        )
        if contact is not None
        else None
    )
    company = await session.get(Company, conversation.company_id) if conversation.company_id else None
    mailbox = await session.get(Mailbox, conversation.mailbox_id)
    name = contact.name if contact is not None else ""
    return {
        "customer_name": name or address or "",
        "customer_first_name": first_name(name),
        "customer_email": address or "",
        "company": (company.name or company.display_domain) if company is not None else "",
        "agent_name": agent.name,
        "agent_email": agent.email,
        "mailbox_name": mailbox.name if mailbox is not None else "",
        "mailbox_address": mailbox.address if mailbox is not None else "",
        "conversation_subject": conversation.subject,
        "conversation_id": str(conversation.id),
    }


async def render_canned(
    db: Database,
    name: str,
    ident: str | int,
    *,
    agent: str,
    mailbox_ids: Sequence[int] | None = None,
) -> Rendered:
    """Canned reply ``name`` filled in for conversation ``ident`` and agent ``agent``. A reply for another
    mailbox is not found there. Raises ``NotFoundError``, ``InputError`` (a template broken since)."""
    async with db.session() as session:
        conversation = await find(session, ident, mailbox_ids)
        row = await _row(session, name, mailbox_ids)
        if row.mailbox_id is not None and row.mailbox_id != conversation.mailbox_id:
            raise NotFoundError("inbox.collab.canned_not_found", name=name)
        writer = await session.scalar(select(Agent).where(Agent.name == agent))
        if writer is None:
            raise NotFoundError("agent.not_found", name=agent)
        values = await _values(session, conversation, writer)
    return Rendered(
        name=row.name,
        conversation_id=conversation.id,
        text=render_template(row.body, values),
        html=render_template(row.html, values, as_html=True) if row.html is not None else None,
        values=values,
    )
