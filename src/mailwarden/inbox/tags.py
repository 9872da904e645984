"""Tags on conversations: one spelling each, added and removed with an event per change.

:func:`normalise_tag` makes the spelling: NFKC (full-width ``ＶＩＰ`` is ``vip``), case-folded, white space
trimmed and collapsed, at most :data:`MAX_TAG` characters. A tag may not start with ``+`` or ``-`` (the
command line's add/remove marks), nor hold a comma (lists of tags are written with commas) or a control
character. Chinese tags (询盘, 样品) are tags like any other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.core.errors import InputError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.collab import find
from mailwarden.inbox.models import Conversation
from mailwarden.inbox.models_collab import ConversationTag

__all__ = ["MAX_TAG", "TagChange", "add_tags", "change_tags", "normalise_tag", "tag_counts", "tags_of"]

MAX_TAG = 50


def normalise_tag(text: str) -> str:
    """The stored spelling of ``text`` (see the module docstring); ``InputError`` if it cannot be a tag."""
    tag = " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    if not tag:
        raise InputError("inbox.collab.tag_empty")
    if len(tag) > MAX_TAG:
        raise InputError("inbox.collab.tag_too_long", tag=tag[:60], maximum=MAX_TAG)
    if tag[0] in "+-" or "," in tag or any(unicodedata.category(c).startswith("C") for c in tag):
        raise InputError("inbox.collab.tag_invalid", tag=tag)
    return tag


@dataclass
class TagChange:
    conversation_id: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: the conversation's tags afterwards, sorted
    tags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "added": self.added,
            "removed": self.removed,
            "tags": self.tags,
        }


async def tags_of(session: AsyncSession, conversation_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(ConversationTag.tag)
            .where(ConversationTag.conversation_id == conversation_id)
            .order_by(ConversationTag.tag)
        )
    )


async def add_tags(
    session: AsyncSession,
    conversation: Conversation,
    tags: Iterable[str],
    *,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> list[str]:
    """Add normalised ``tags`` that ``conversation`` lacks, each with a ``tagged`` event, in the caller's
    transaction. Returns those added."""
    have = set(await tags_of(session, conversation.id))
    added = []
    for tag in dict.fromkeys(tags):
        if tag in have:
            continue
        session.add(ConversationTag(conversation_id=conversation.id, tag=tag))
        await events.record(
            session, conversation, "tagged", actor=actor, detail={"tag": tag, **(detail or {})}
        )
        added.append(tag)
    return added


async def change_tags(
    db: Database,
    ident: str | int,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    actor: str,
    mailbox_ids: Sequence[int] | None = None,
) -> TagChange:
    """Add ``add`` and remove ``remove`` (normalised first); a tag already there or already absent changes
    nothing and records nothing. Raises ``InputError`` (a bad tag, or one both added and removed),
    ``NotFoundError``."""
    adding = list(dict.fromkeys(normalise_tag(t) for t in add))
    removing = list(dict.fromkeys(normalise_tag(t) for t in remove))
    both = set(adding) & set(removing)
    if both:
        raise InputError("inbox.collab.tag_both", tag=sorted(both)[0])
    async with db.session() as session, session.begin():
        conversation = await find(session, ident, mailbox_ids, lock=True)
        change = TagChange(conversation.id)
        change.added = await add_tags(session, conversation, adding, actor=actor)
        have = set(await tags_of(session, conversation.id))
        for tag in removing:
            if tag not in have:
                continue
            await session.execute(
                delete(ConversationTag).where(
                    ConversationTag.conversation_id == conversation.id, ConversationTag.tag == tag
                )
            )
            await events.record(session, conversation, "untagged", actor=actor, detail={"tag": tag})
            change.removed.append(tag)
        await session.flush()
        change.tags = await tags_of(session, conversation.id)
        return change


async def tag_counts(db: Database, *, mailbox_ids: Sequence[int] | None = None) -> list[tuple[str, int]]:
    """Every tag in use with how many conversations (not merged away) carry it, most used first."""
    query = (
        select(ConversationTag.tag, func.count())
        .join(Conversation, Conversation.id == ConversationTag.conversation_id)
        .where(Conversation.merged_into_id.is_(None))
        .group_by(ConversationTag.tag)
        .order_by(func.count().desc(), ConversationTag.tag)
    )
    if mailbox_ids is not None:
        query = query.where(Conversation.mailbox_id.in_(list(mailbox_ids)))
    async with db.session() as session:
        return [(tag, int(count)) for tag, count in (await session.execute(query)).all()]
