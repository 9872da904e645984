"""Internal notes: written by an agent, read by the team, never sent to the customer; @mentions alert.

A note is append-only (decision 0018): an edit adds a :class:`~.models_collab.NoteVersion` and changes the
note's current text; nothing is overwritten. Only the author edits their note.

Each agent a note mentions gets an ``inbox.mention`` alert in the notify outbox, queued in the note's own
transaction (:func:`mailwarden.notify.service.enqueue_in`): the alert exists if and only if the note does.
Its key is ``mention/<note id>/<agent>``, so an edit that mentions the same colleague again does not alert
them twice, while one that adds a colleague alerts the newcomer. The alert carries the agent as a
:class:`~mailwarden.notify.alerts.Person` with their chat ids, so DingTalk, Feishu, WeCom, Slack and Teams
mention them for real. An author mentioning themself is not alerted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.access.models import Agent
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.inbox import events
from mailwarden.inbox.collab import find
from mailwarden.inbox.mentions import find_mentions
from mailwarden.inbox.models import Contact, ContactAddress, Conversation
from mailwarden.inbox.models_collab import Note, NoteVersion
from mailwarden.mailboxes.models import Mailbox
from mailwarden.notify.alerts import Alert, Person
from mailwarden.notify.service import enqueue_in

__all__ = ["MAX_NOTE", "NoteView", "NoteWritten", "add_note", "edit_note", "list_notes", "person"]

#: characters in a note: a page of text, not a pasted mail archive
MAX_NOTE = 20_000
#: characters of the note shown in the chat alert
_EXCERPT = 280


@dataclass
class NoteView:
    id: int
    conversation_id: int
    author: str
    text: str
    mentions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    #: every text the note had, oldest first (``{"version", "text", "written_by", "at"}``); empty unless asked
    history: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NoteWritten:
    note: NoteView
    #: agents alerted by this write (new mentions; not the author)
    alerted: list[str]
    #: ``@words`` naming no agent, left as text
    unknown_mentions: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "note": self.note.as_dict(),
            "alerted": self.alerted,
            "unknown_mentions": self.unknown_mentions,
        }


def person(agent: Agent) -> Person:
    """An agent as notify sees a person: identities by chat system."""
    return Person(
        name=agent.name,
        email=agent.email,
        timezone=agent.timezone,
        ids={identity.kind: identity.ident for identity in agent.identities},
    )


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InputError("inbox.collab.note_empty")
    if len(text) > MAX_NOTE:
        raise InputError("inbox.collab.note_too_long", maximum=MAX_NOTE, length=len(text))
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InputError("inbox.collab.note_control")
    return text


async def _agent(session: AsyncSession, name: str) -> Agent:
    found = await session.scalar(select(Agent).where(Agent.name == name))
    if found is None:
        raise NotFoundError("agent.not_found", name=name)
    return found


def _view(note: Note, history: Sequence[NoteVersion] = ()) -> NoteView:
    return NoteView(
        id=note.id,
        conversation_id=note.conversation_id,
        author=note.author_name,
        text=note.text,
        mentions=list(note.mentions),
        version=note.version,
        created_at=note.created_at,
        updated_at=note.updated_at,
        history=[
            {"version": v.version, "text": v.text, "written_by": v.written_by, "at": v.created_at}
            for v in history
        ],
    )


async def _customer(session: AsyncSession, conversation: Conversation) -> str:
    if conversation.contact_id is None:
        return ""
    contact = await session.get(Contact, conversation.contact_id)
    if contact is not None and contact.name:
        return contact.name
    address = await session.scalar(
        select(ContactAddress.display)
        .where(ContactAddress.contact_id == conversation.contact_id)
        .order_by(ContactAddress.id)
    )
    return address or ""


async def _alert(
    session: AsyncSession, conversation: Conversation, note: Note, names: Sequence[str], author: str
) -> list[str]:
    """Queue an ``inbox.mention`` for each of ``names`` but the author; returns who was alerted."""
    targets = [name for name in names if name != author]
    if not targets:
        return []
    agents = {a.name: a for a in await session.scalars(select(Agent).where(Agent.name.in_(targets)))}
    mailbox = await session.get(Mailbox, conversation.mailbox_id)
    params = {
        "author": author,
        "subject": conversation.subject or "-",
        "conversation": str(conversation.id),
        "mailbox": mailbox.name if mailbox is not None else "",
        "customer": await _customer(session, conversation),
        "excerpt": " ".join(note.text.split())[:_EXCERPT],
    }
    for name in targets:
        alert = Alert(
            kind="inbox.mention",
            key=f"mention/{note.id}/{name}",
            params=params,
            mentions=(person(agents[name]),),
        )
        await enqueue_in(session, alert)
    return targets


async def add_note(
    db: Database,
    ident: str | int,
    text: str,
    *,
    author: str,
    actor: str | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> NoteWritten:
    """Add a note by agent ``author`` to conversation ``ident``; alert the agents it mentions.

    ``actor`` defaults to ``agent:<author>``. Raises ``NotFoundError`` (conversation out of scope, unknown
    author), ``InputError`` (empty, too long, control characters)."""
    body = _clean(text)
    actor = actor or events.agent_actor(author)
    async with db.session() as session, session.begin():
        conversation = await find(session, ident, mailbox_ids, lock=True)
        writer = await _agent(session, author)
        names = list(await session.scalars(select(Agent.name)))
        found = find_mentions(body, names)
        now = clock.now()
        note = Note(
            conversation_id=conversation.id,
            author_id=writer.id,
            author_name=writer.name,
            text=body,
            mentions=list(found.agents),
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(note)
        await session.flush()
        session.add(
            NoteVersion(note_id=note.id, version=1, text=body, mentions=list(found.agents), written_by=actor)
        )
        alerted = await _alert(session, conversation, note, found.agents, writer.name)
        await events.record(
            session,
            conversation,
            "note",
            actor=actor,
            detail={"note_id": note.id, "version": 1, "mentions": list(found.agents)},
        )
        return NoteWritten(_view(note), alerted, list(found.unknown))


async def edit_note(
    db: Database,
    note_id: int,
    text: str,
    *,
    editor: str,
    actor: str | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> NoteWritten:
    """A new version of note ``note_id`` by its author ``editor``; agents newly mentioned are alerted.

    Raises ``NotFoundError`` (no such note in scope), ``InputError`` (not the author; the text as in
    :func:`add_note`). An edit that changes nothing records nothing."""
    body = _clean(text)
    actor = actor or events.agent_actor(editor)
    async with db.session() as session, session.begin():
        where = await session.scalar(select(Note.conversation_id).where(Note.id == note_id))
        if where is None:
            raise NotFoundError("inbox.collab.note_not_found", id=note_id)
        try:
            conversation = await find(session, where, mailbox_ids, lock=True)
        except NotFoundError:
            raise NotFoundError("inbox.collab.note_not_found", id=note_id) from None
        # read again under the lock: a merge may have moved it, another edit may have changed it
        note = await session.scalar(
            select(Note)
            .where(Note.id == note_id, Note.conversation_id == conversation.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if note is None:
            raise ConflictError("inbox.collab.note_moved", id=note_id)
        if editor != note.author_name:
            raise InputError("inbox.collab.note_not_author", id=note_id, author=note.author_name)
        if body == note.text:
            return NoteWritten(_view(note), [], [])
        names = list(await session.scalars(select(Agent.name)))
        found = find_mentions(body, names)
        # mentioned by an earlier version: alerted then (the outbox key would drop a second alert anyway)
        before = {
            name
            for version in await session.scalars(
                select(NoteVersion.mentions).where(NoteVersion.note_id == note.id)
            )
            for name in version
        }
        note.version += 1
        note.text, note.mentions, note.updated_at = body, list(found.agents), clock.now()
        session.add(
            NoteVersion(
                note_id=note.id,
                version=note.version,
                text=body,
                mentions=list(found.agents),
                written_by=actor,
            )
        )
        await session.flush()
        fresh = [name for name in found.agents if name not in before]
        alerted = await _alert(session, conversation, note, fresh, note.author_name)
        await events.record(
            session,
            conversation,
            "note",
            actor=actor,
            detail={"note_id": note.id, "version": note.version, "mentions": list(found.agents)},
        )
        return NoteWritten(_view(note), alerted, list(found.unknown))


async def list_notes(
    db: Database,
    ident: str | int,
    *,
    history: bool = False,
    mailbox_ids: Sequence[int] | None = None,
) -> list[NoteView]:
    """The notes of conversation ``ident``, oldest first; with ``history``, every version of each."""
    async with db.session() as session:
        conversation = await find(session, ident, mailbox_ids)
        notes = list(
            await session.scalars(
                select(Note).where(Note.conversation_id == conversation.id).order_by(Note.created_at, Note.id)
            )
        )
        versions: dict[int, list[NoteVersion]] = {}
        if history and notes:
            for version in await session.scalars(
                select(NoteVersion)
                .where(NoteVersion.note_id.in_([n.id for n in notes]))
                .order_by(NoteVersion.note_id, NoteVersion.version)
            ):
                versions.setdefault(version.note_id, []).append(version)
        return [_view(note, versions.get(note.id, ())) for note in notes]
