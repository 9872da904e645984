"""Replying to a conversation: the service the CLI and the REST API call.

:func:`reply` checks for collisions, composes the reply (:mod:`.compose`) and queues it
(:class:`.models_reply.Outgoing`) in one transaction with its ``reply_queued`` event; the worker
(:mod:`.outgoing`) sends it. Nothing is sent inside the caller's request: an SMTP server that takes 30 s,
or is down, never makes an agent's click fail or hang, and the reply survives a restart.

**Collisions** (Help Scout's traffic cop): the caller passes the newest inbox message id the agent has
seen (``seen_message_id``). If the customer wrote again since, or another agent's reply went out or is
on its way, :class:`.reply_errors.ReplyConflict` names what is new, unless ``confirm=True`` — the agent
has seen the warning and sends anyway. Without ``seen_message_id`` only replies of other agents still in
the queue are checked (the command line knows nothing of what its user has read).

``mailbox_ids`` limits everything to the mailboxes the caller may see, as in :mod:`.service`: a
conversation or reply outside them is "not found".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from email.utils import getaddresses
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.archive.blobstore import blob_store
from mailwarden.archive.models import Message
from mailwarden.core import clock
from mailwarden.core.errors import InputError, NotFoundError
from mailwarden.core.secrets import load_box
from mailwarden.core.settings import Settings
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.compose import Attachment, Draft, Quoted, compose
from mailwarden.inbox.models import ContactAddress, Conversation, ConversationMessage
from mailwarden.inbox.models_reply import Outgoing
from mailwarden.inbox.presence import Present, heartbeat, leave, presence
from mailwarden.inbox.quoting import customer_text
from mailwarden.inbox.reply_errors import ReplyConflict
from mailwarden.inbox.reply_queue import OutgoingView, _conversation, _view, list_outgoing, retry
from mailwarden.inbox.signatures import signature_for
from mailwarden.inbox.threading import reply_headers
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.mailboxes.models import Mailbox
from mailwarden.mime import ParsedMessage, parse_message
from mailwarden.mime.addresses import Address
from mailwarden.mime.html_text import html_to_text

__all__ = ["OutgoingView", "list_outgoing", "reply", "retry", "touch_presence"]


async def _agent(session: AsyncSession, name: str) -> Agent:
    found = await session.scalar(select(Agent).where(Agent.name == name))
    if found is None:
        raise NotFoundError("agent.not_found", name=name)
    return found


async def _news(
    session: AsyncSession, conversation: Conversation, agent: Agent, seen_message_id: int | None
) -> list[dict[str, Any]]:
    """What happened in ``conversation`` since message ``seen_message_id`` that ``agent`` did not do."""
    news: list[dict[str, Any]] = []
    own = select(Outgoing.inbox_message_id).where(
        Outgoing.agent_id == agent.id, Outgoing.inbox_message_id.is_not(None)
    )
    if seen_message_id is not None:
        seen = await session.get(ConversationMessage, seen_message_id)
        if seen is None or seen.conversation_id != conversation.id:
            raise InputError("inbox.reply.seen_unknown", id=seen_message_id)
        newer = await session.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.id > seen_message_id,
                ConversationMessage.copy_of_id.is_(None),
                ConversationMessage.noise == "person",
                ConversationMessage.id.not_in(own),
            )
            .order_by(ConversationMessage.id)
        )
        for message in newer:
            news.append(
                {
                    "kind": "customer_message" if message.direction == "in" else "agent_reply",
                    "id": message.id,
                    "at": message.at.isoformat(),
                    "from": message.from_addr,
                    "subject": message.subject,
                }
            )
    queued = await session.scalars(
        select(Outgoing)
        .where(
            Outgoing.conversation_id == conversation.id,
            Outgoing.status.in_(("queued", "sending")),
            (Outgoing.agent_id != agent.id) | Outgoing.agent_id.is_(None),
        )
        .order_by(Outgoing.id)
    )
    for each in queued:
        news.append(
            {
                "kind": "reply_queued",
                "id": each.id,
                "at": each.created_at.isoformat(),
                "from": each.mail_from,
                "agent": each.agent_name,
                "subject": each.subject,
            }
        )
    return news


async def _parent(session: AsyncSession, conversation: Conversation) -> ConversationMessage | None:
    """The message answered: the customer's newest; in a conversation we opened, our newest."""
    base = (
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.copy_of_id.is_(None),
            ConversationMessage.noise == "person",
        )
        .order_by(ConversationMessage.at.desc(), ConversationMessage.id.desc())
        .limit(1)
    )
    found = await session.scalar(base.where(ConversationMessage.direction == "in"))
    return found if found is not None else await session.scalar(base)


async def _parsed(session: AsyncSession, settings: Settings, message: ConversationMessage) -> ParsedMessage:
    if message.archive_message_id is not None:
        sha256 = await session.scalar(select(Message.sha256).where(Message.id == message.archive_message_id))
        if sha256 is not None:
            raw = await asyncio.to_thread(blob_store(settings.archive_dir).read, sha256)
            return await asyncio.to_thread(parse_message, raw)
    ours = await session.scalar(
        select(Outgoing.raw).where(
            Outgoing.mailbox_id == message.mailbox_id, Outgoing.message_id == message.message_id
        )
    )
    if ours is None:
        raise NotFoundError("inbox.reply.parent_missing", id=message.id)
    return await asyncio.to_thread(parse_message, ours)


def _recipients(parent: ParsedMessage, outgoing: bool) -> list[Address]:
    if outgoing:
        return list(parent.to)
    return list(parent.reply_to or parent.from_)


def _cc(values: Sequence[str]) -> list[Address]:
    found = [Address(name, address) for name, address in getaddresses(list(values)) if address]
    if len(found) < len([v for v in values if v.strip()]):
        raise InputError("inbox.reply.bad_address", role="cc", address=", ".join(values)[:200])
    return found


async def reply(
    db: Database,
    settings: Settings,
    conversation_ident: str | int,
    *,
    agent: str,
    body_text: str,
    body_html: str | None = None,
    attachments: Sequence[Attachment] = (),
    cc: Sequence[str] = (),
    seen_message_id: int | None = None,
    confirm: bool = False,
    mailbox_ids: Sequence[int] | None = None,
    quote: bool | None = None,
    wake: asyncio.Event | None = None,
) -> OutgoingView:
    """Queue ``agent``'s reply in the conversation (see the module docstring). Raises ``NotFoundError``,
    ``InputError`` (an empty body, a bad address, too large) and :class:`ReplyConflict`."""
    options = settings.inbox.replies
    if not body_text.strip() and not (body_html or "").strip():
        raise InputError("inbox.reply.empty")
    box = load_box(settings.secret_key.get_secret_value() if settings.secret_key else None, settings.key_file)
    key = box.derive(KEY_PURPOSE)[0]
    async with db.session() as session, session.begin():
        conversation = await _conversation(session, conversation_ident, mailbox_ids)
        who = await _agent(session, agent)
        if not confirm:
            news = await _news(session, conversation, who, seen_message_id)
            if news:
                raise ReplyConflict(news, conversation=conversation.id)
        mailbox = await session.get(Mailbox, conversation.mailbox_id)
        assert mailbox is not None
        parent_row = await _parent(session, conversation)
        parent = await _parsed(session, settings, parent_row) if parent_row is not None else None
        to = _recipients(parent, parent_row.direction == "out") if parent and parent_row else []
        if not to and conversation.contact_id is not None:
            address = await session.scalar(
                select(ContactAddress.display)
                .where(ContactAddress.contact_id == conversation.contact_id)
                .order_by(ContactAddress.id)
            )
            to = [Address("", address)] if address else []
        signature = await signature_for(session, who.id, mailbox.id)
        if body_html is not None and not body_text.strip():
            body_text = html_to_text(body_html)
        wants_quote = options.quote if quote is None else quote
        quoted = None
        if wants_quote and parent is not None and parent_row is not None and parent_row.direction == "in":
            author = parent.from_[0].name or parent.from_[0].address if parent.from_ else ""
            quoted = Quoted(author, parent.date, customer_text(parent.text))
        now = clock.now()
        composed = compose(
            Draft(
                from_address=mailbox.address,
                from_name=options.display_names.get(mailbox.name, ""),
                to=to,
                cc=_cc(cc),
                subject=parent.subject if parent is not None else conversation.subject,
                body_text=body_text,
                body_html=body_html,
                signature_text=signature.text,
                signature_html=signature.html,
                attachments=attachments,
                quote=quoted,
                headers=reply_headers(
                    parent,
                    domain=mailbox.address.rpartition("@")[2],
                    conversation_id=conversation.uid,
                    key=key,
                ),
                at=now,
            )
        )
        if len(composed.raw) > options.max_bytes:
            raise InputError("inbox.reply.too_large", size=len(composed.raw), maximum=options.max_bytes)
        row = Outgoing(
            conversation_id=conversation.id,
            mailbox_id=mailbox.id,
            agent_id=who.id,
            agent_name=who.name,
            status="queued",
            message_id=composed.message_id,
            in_reply_to=composed.in_reply_to,
            subject=composed.subject,
            mail_from=mailbox.address,
            rcpt_to=list(composed.rcpt_to),
            raw=composed.raw,
            sha256=composed.sha256,
            parent_id=parent_row.id if parent_row is not None else None,
            state="ready",
            run_after=now,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        await events.record(
            session,
            conversation,
            "reply_queued",
            actor=events.agent_actor(who.name),
            detail={
                "outgoing_id": row.id,
                "agent": who.name,
                "message_id": composed.message_id,
                "confirmed": confirm,
                "attachments": [a.filename for a in attachments],
            },
        )
        await leave(session, conversation.id, who.id)
        view = _view(row, conversation.uid, mailbox.name)
    if wake is not None:
        wake.set()
    return view


async def touch_presence(
    db: Database,
    settings: Settings,
    conversation_ident: str | int,
    *,
    agent: str,
    state: str,
    mailbox_ids: Sequence[int] | None = None,
) -> list[Present]:
    """Heartbeat: ``agent`` is viewing or replying; returns who *else* is on the conversation."""
    async with db.session() as session, session.begin():
        conversation = await _conversation(session, conversation_ident, mailbox_ids)
        who = await _agent(session, agent)
        ttl = settings.inbox.replies.presence_ttl
        if await heartbeat(session, conversation.id, who.id, state, ttl=ttl):
            actor = events.agent_actor(who.name)
            await events.record(
                session, conversation, "viewed", actor=actor, detail={"state": state}, timeline=False
            )
        return await presence(session, conversation.id, excluding=who.id)
