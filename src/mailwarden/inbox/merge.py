"""Merging two conversations of one mailbox, and splitting messages off into a new one.

**Merge B into A.** Every message of B (copies, bounces and noise included) moves to A, and so do B's notes;
B's tags are added to A. B keeps its row: ``merged_into_id`` = A, status closed, its timeline as it was —
lists leave it out, showing it points to A, and a reply carrying B's token is threaded into A
(:meth:`.lookup.MailboxLookup.conversation_of_token` follows the pointer). Conversations merged into B
before now point to A, so a pointer is never more than one step. A's times are the span of both; if B was
open (the customer waits) and A was not, A opens; if A had no assignee, B's carries over. Both get a
``merged`` event (A: ``from``; B: ``into``), B a ``status`` event (closed, ``why`` merged), A one if it
opened and an ``assigned`` one (``why`` merged) if it took B's assignee.

**Split.** Chosen messages of A (with their copies, and the bounces of those that are ours) move to a new
conversation of the same mailbox: its contact is the sender of its first incoming message if known, else
A's; its subject that of its first message; its status open if a customer wrote last, else pending; A's
assignee and tags carry over. At least one message of A stays. Events: ``created`` and ``split``
(``from``) on the new one, ``split`` (``into``) on A.

Threading keeps working because it looks a Message-ID up in ``inbox_messages`` and follows the row's
``conversation_id``: a later reply to a moved message goes where the message now is. Both operations run
:func:`.collab.take` first, so they never interleave with an ingest batch or with each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.collab import take
from mailwarden.inbox.models import BounceLink, Contact, Conversation, ConversationMessage, new_uid
from mailwarden.inbox.models_collab import Note
from mailwarden.inbox.subjects import normalise_subject
from mailwarden.inbox.tags import add_tags, tags_of
from mailwarden.inbox.tokens import make_token

__all__ = ["MergeResult", "SplitResult", "merge_conversations", "split_conversation"]

#: most messages one split moves (a split is a hand-picked handful)
MAX_SPLIT = 1000


@dataclass
class MergeResult:
    into_id: int
    from_id: int
    messages: int
    notes: int
    tags_added: list[str] = field(default_factory=list)
    reopened: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SplitResult:
    from_id: int
    new_id: int
    new_uid: str
    #: inbox message ids moved (the chosen ones and their copies and bounces)
    messages: list[int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _merged(conversation: Conversation) -> ConflictError:
    return ConflictError(
        "inbox.collab.already_merged", id=conversation.id, into=conversation.merged_into_id or 0
    )


def _span(conversation: Conversation, other: Conversation) -> None:
    def low(a: datetime | None, b: datetime | None) -> datetime | None:
        return min(x for x in (a, b) if x is not None) if a or b else None

    def high(a: datetime | None, b: datetime | None) -> datetime | None:
        return max(x for x in (a, b) if x is not None) if a or b else None

    conversation.first_message_at = low(conversation.first_message_at, other.first_message_at)
    conversation.last_message_at = high(conversation.last_message_at, other.last_message_at)
    conversation.last_customer_at = high(conversation.last_customer_at, other.last_customer_at)
    conversation.last_agent_at = high(conversation.last_agent_at, other.last_agent_at)


async def merge_conversations(
    db: Database,
    into: str | int,
    from_: str | int,
    *,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> MergeResult:
    """Merge conversation ``from_`` into ``into`` (see the module docstring). Raises ``NotFoundError``
    (either out of scope), ``InputError`` (the same conversation, other mailboxes), ``ConflictError``
    (either already merged)."""
    async with db.session() as session, session.begin():
        target, source = await take(session, [into, from_], mailbox_ids)
        if target.id == source.id:
            raise InputError("inbox.collab.merge_self", id=target.id)
        if target.mailbox_id != source.mailbox_id:
            raise InputError("inbox.collab.merge_mailboxes", into=target.id, id=source.id)
        for each in (source, target):
            if each.merged_into_id is not None:
                raise _merged(each)
        moved = await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.conversation_id == source.id)
            .values(conversation_id=target.id)
        )
        await session.execute(
            update(BounceLink)
            .where(BounceLink.conversation_id == source.id)
            .values(conversation_id=target.id)
        )
        notes = await session.execute(
            update(Note).where(Note.conversation_id == source.id).values(conversation_id=target.id)
        )
        await session.execute(
            update(Conversation)
            .where(Conversation.merged_into_id == source.id)
            .values(merged_into_id=target.id)
        )
        count = int(moved.rowcount)  # type: ignore[attr-defined]
        result = MergeResult(target.id, source.id, count, int(notes.rowcount))  # type: ignore[attr-defined]
        result.tags_added = await add_tags(
            session,
            target,
            await tags_of(session, source.id),
            actor=actor,
            detail={"merged_from": source.uid},
        )
        _span(target, source)
        if target.contact_id is None:
            target.contact_id, target.company_id = source.contact_id, source.company_id
        if target.assignee_id is None and source.assignee_id is not None:
            # whoever handled B goes on handling the customer's question, now in A
            target.assignee_id = source.assignee_id
            agent = await session.get(Agent, source.assignee_id)
            await events.record(
                session,
                target,
                "assigned",
                actor=actor,
                detail={"agent": agent.name if agent else None, "previous": None, "why": "merged"},
            )
        target.suggested_ids = [
            i
            for i in dict.fromkeys([*target.suggested_ids, *source.suggested_ids])
            if i not in (target.id, source.id)
        ]
        if source.status == "open" and target.status != "open":
            previous = target.status
            target.status, target.snoozed_until = "open", None
            result.reopened = True
            await events.record(
                session,
                target,
                "status",
                actor=actor,
                detail={"status": "open", "previous": previous, "why": "merged"},
            )
        previous = source.status
        source.merged_into_id = target.id
        source.status, source.snoozed_until = "closed", None
        await events.record(
            session,
            target,
            "merged",
            actor=actor,
            detail={"from": source.uid, "from_id": source.id, "messages": count},
        )
        await events.record(
            session,
            source,
            "merged",
            actor=actor,
            detail={"into": target.uid, "into_id": target.id, "messages": count},
        )
        if previous != "closed":
            await events.record(
                session,
                source,
                "status",
                actor=actor,
                detail={"status": "closed", "previous": previous, "why": "merged"},
            )
        await session.flush()
        return result


async def _chosen(
    session: AsyncSession, source: Conversation, message_ids: Sequence[int]
) -> list[ConversationMessage]:
    """The messages to move: the chosen ones, their copies, and bounces of ours among them."""
    wanted = set(message_ids)
    if not wanted:
        raise InputError("inbox.collab.split_nothing")
    if len(wanted) > MAX_SPLIT:
        raise InputError("inbox.collab.split_too_many", maximum=MAX_SPLIT)
    rows = list(
        await session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == source.id)
            .order_by(ConversationMessage.at, ConversationMessage.id)
        )
    )
    ids = {row.id for row in rows}
    missing = sorted(wanted - ids)
    if missing:
        raise NotFoundError("inbox.collab.split_not_in", id=source.id, message=missing[0])
    # a copy goes with the message it copies (it is shown folded into it); choosing a copy chooses both
    for row in rows:
        if row.id in wanted and row.copy_of_id is not None:
            wanted.add(row.copy_of_id)
    bounced = {
        link.bounce_id
        for link in await session.scalars(select(BounceLink).where(BounceLink.original_id.in_(wanted)))
    }
    wanted |= bounced & ids
    wanted |= {row.id for row in rows if row.copy_of_id in wanted}
    moving = [row for row in rows if row.id in wanted]
    staying = [row for row in rows if row.id not in wanted and row.noise == "person"]
    if not staying:
        raise InputError("inbox.collab.split_all", id=source.id)
    return moving


def _times(conversation: Conversation, rows: Sequence[ConversationMessage]) -> None:
    """A conversation's times from its person messages (copies count: they are the same message)."""
    people = [row for row in rows if row.noise == "person"]
    at = [row.at for row in people]
    conversation.first_message_at = min(at) if at else None
    conversation.last_message_at = max(at) if at else None
    incoming = [row.at for row in people if row.direction == "in"]
    outgoing = [row.at for row in people if row.direction == "out"]
    conversation.last_customer_at = max(incoming) if incoming else None
    conversation.last_agent_at = max(outgoing) if outgoing else None


async def split_conversation(
    db: Database,
    ident: str | int,
    message_ids: Sequence[int],
    *,
    token_key: bytes,
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> SplitResult:
    """Move messages ``message_ids`` of conversation ``ident`` into a new conversation (see the module
    docstring). ``token_key`` signs the new conversation's token (the team's first key). Raises
    ``NotFoundError`` (the conversation, or a message not in it), ``InputError`` (nothing chosen, or
    everything), ``ConflictError`` (merged)."""
    async with db.session() as session, session.begin():
        (source,) = await take(session, [ident], mailbox_ids)
        if source.merged_into_id is not None:
            raise _merged(source)
        moving = await _chosen(session, source, message_ids)
        people = [row for row in moving if row.noise == "person" and row.copy_of_id is None] or moving
        first = people[0]
        sender = next((row.contact_id for row in people if row.direction == "in" and row.contact_id), None)
        contact = await session.get(Contact, sender) if sender is not None else None
        uid = new_uid()
        created = Conversation(
            uid=uid,
            token=make_token(uid, token_key),
            mailbox_id=source.mailbox_id,
            subject=first.subject,
            subject_key=normalise_subject(first.subject),
            status="open" if people[-1].direction == "in" else "pending",
            contact_id=contact.id if contact is not None else source.contact_id,
            company_id=contact.company_id if contact is not None else source.company_id,
            assignee_id=source.assignee_id,
            language=next((row.language for row in people if row.direction == "in" and row.language), None),
            suggested_ids=[source.id],
        )
        _times(created, moving)
        session.add(created)
        await session.flush()
        moved = [row.id for row in moving]
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.id.in_(moved))
            .values(conversation_id=created.id)
        )
        await session.execute(
            update(BounceLink).where(BounceLink.bounce_id.in_(moved)).values(conversation_id=created.id)
        )
        remaining = list(
            await session.scalars(
                select(ConversationMessage).where(ConversationMessage.conversation_id == source.id)
            )
        )
        _times(source, remaining)
        detail = {"messages": moved}
        await events.record(session, created, "created", actor=actor, detail={"split_from": source.uid})
        await events.record(session, created, "split", actor=actor, detail={"from": source.uid, **detail})
        await events.record(session, source, "split", actor=actor, detail={"into": uid, **detail})
        if source.assignee_id is not None:
            agent = await session.get(Agent, source.assignee_id)
            await events.record(
                session,
                created,
                "assigned",
                actor=actor,
                detail={"agent": agent.name if agent else None, "previous": None, "why": "split"},
            )
        await add_tags(
            session,
            created,
            await tags_of(session, source.id),
            actor=actor,
            detail={"split_from": source.uid},
        )
        await session.flush()
        return SplitResult(source.id, created.id, uid, moved)
