"""What one ingest batch needs to know from the tables, loaded in a few queries before it is placed.

Placing a message asks many small questions — is this Message-ID in a conversation, which contact has this
address, which company this domain — and on SQLite every statement is a round trip to aiosqlite's thread.
Asked one by one, they made the ingest spend 25 ms a message waiting (1,000 messages: 25 s). So a batch
loads the answers for all its messages at once (:meth:`BatchLookup.load`: every Message-ID its messages
name, their parties' addresses and domains) and keeps them current as it places messages
(:meth:`BatchLookup.remember`). What only new conversations ask (recent conversations of a contact, a
token) is still asked when it comes up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.inbox.models import Company, Contact, ContactAddress, Conversation, ConversationMessage
from mailwarden.inbox.prepare import Prepared
from mailwarden.inbox.threading import RecentConversation

__all__ = ["SUGGEST_WINDOW", "BatchLookup", "MailboxLookup"]

#: how far back same-subject suggestions look (the default of :func:`.threading.decide_thread`)
SUGGEST_WINDOW = timedelta(days=14)
#: values per IN (...): well under SQLite's and asyncpg's limits on bound parameters
_CHUNK = 900
T = TypeVar("T")


def _chunks(values: Iterable[T]) -> list[list[T]]:
    items = list(dict.fromkeys(values))
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class BatchLookup:
    """The batch's view of the tables (see the module docstring). Lives for one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        #: (mailbox, Message-ID) -> the messages with that id, oldest first
        self.messages: dict[tuple[int, str], list[ConversationMessage]] = defaultdict(list)
        #: (mailbox, Message-ID) -> the conversation of a message answering it (In-Reply-To)
        self.answered: dict[tuple[int, str], int] = {}
        self.addresses: dict[str, ContactAddress] = {}
        self.contacts: dict[int, Contact] = {}
        self.companies: dict[str, Company] = {}
        #: the conversations of the messages above, of the contacts below (recent ones), and those the
        #: batch opens
        self.conversations: dict[int, Conversation] = {}
        self.window_start: datetime | None = None

    async def load(self, items: Sequence[Prepared]) -> None:
        mailboxes = {item.row.mailbox_id for item in items}
        named: set[str] = set()
        own: set[str] = set()
        for item in items:
            parsed = item.parsed
            own.update([parsed.message_id] if parsed.message_id else [])
            named.update([parsed.in_reply_to] if parsed.in_reply_to else [], parsed.references)
            if item.bounce is not None:
                named.update(item.bounce.message_ids)
        for chunk in _chunks(own | named):
            for row in await self.session.scalars(
                select(ConversationMessage)
                .where(
                    ConversationMessage.mailbox_id.in_(mailboxes), ConversationMessage.message_id.in_(chunk)
                )
                .order_by(ConversationMessage.id)
            ):
                self.messages[(row.mailbox_id, row.message_id or "")].append(row)
        conversation_ids = {row.conversation_id for rows in self.messages.values() for row in rows}
        for ids in _chunks(cid for cid in conversation_ids if cid is not None):
            for conversation in await self.session.scalars(
                select(Conversation).where(Conversation.id.in_(ids))
            ):
                self.conversations[conversation.id] = conversation
        for chunk in _chunks(own):
            found = await self.session.execute(
                select(
                    ConversationMessage.mailbox_id,
                    ConversationMessage.in_reply_to,
                    ConversationMessage.conversation_id,
                )
                .where(
                    ConversationMessage.mailbox_id.in_(mailboxes),
                    ConversationMessage.in_reply_to.in_(chunk),
                    ConversationMessage.conversation_id.is_not(None),
                )
                .order_by(ConversationMessage.id.desc())  # the first answer wins: written last below
            )
            for mailbox_id, in_reply_to, conversation_id in found.all():
                if in_reply_to is not None and conversation_id is not None:
                    self.answered[(mailbox_id, in_reply_to)] = conversation_id
        await self._load_parties(items)

    async def _load_parties(self, items: Sequence[Prepared]) -> None:
        keys = {c.address.key for item in items for c in item.parties.contacts}
        domains = {company.domain for item in items for company in item.parties.companies}
        for chunk in _chunks(keys):
            for address in await self.session.scalars(
                select(ContactAddress).where(ContactAddress.key.in_(chunk))
            ):
                self.addresses[address.key] = address
        for ids in _chunks(each.contact_id for each in self.addresses.values()):
            for contact in await self.session.scalars(select(Contact).where(Contact.id.in_(ids))):
                self.contacts[contact.id] = contact
        # the recent conversations of those contacts, for same-subject suggestions (threading asks for the
        # last SUGGEST_WINDOW before a message; older questions go to the database)
        self.window_start = min(item.at for item in items) - SUGGEST_WINDOW if items else None
        for ids in _chunks({each.contact_id for each in self.addresses.values()}):
            for conversation in await self.session.scalars(
                select(Conversation).where(
                    Conversation.contact_id.in_(ids), Conversation.last_message_at >= self.window_start
                )
            ):
                self.conversations[conversation.id] = conversation
        for chunk in _chunks(domains):
            for company in await self.session.scalars(select(Company).where(Company.domain.in_(chunk))):
                self.companies[company.domain] = company

    async def contact(self, contact_id: int) -> Contact | None:
        """The contact, following merges (a merged contact points at the one that was kept)."""
        contact = self.contacts.get(contact_id) or await self.session.get(Contact, contact_id)
        while contact is not None and contact.merged_into_id is not None:
            contact = self.contacts.get(contact.merged_into_id) or await self.session.get(
                Contact, contact.merged_into_id
            )
        return contact

    async def conversation(self, conversation_id: int) -> Conversation:
        found = self.conversations.get(conversation_id) or await self.session.get(
            Conversation, conversation_id
        )
        assert (
            found is not None
        )  # ids come from rows of this transaction, and conversations are never deleted
        self.conversations[conversation_id] = found
        return found

    def remember(self, row: ConversationMessage) -> None:
        """A message just placed: later messages of the batch may name it."""
        if row.message_id:
            self.messages[(row.mailbox_id, row.message_id)].append(row)
        if row.in_reply_to and row.conversation_id is not None:
            self.answered.setdefault((row.mailbox_id, row.in_reply_to), row.conversation_id)

    def with_id(self, mailbox_id: int, message_id: str | None) -> list[ConversationMessage]:
        return self.messages.get((mailbox_id, message_id), []) if message_id else []

    def for_mailbox(self, mailbox_id: int) -> MailboxLookup:
        return MailboxLookup(self, mailbox_id)


class MailboxLookup:
    """:class:`.threading.ConversationLookup` over one mailbox's conversations, from the batch's view."""

    def __init__(self, batch: BatchLookup, mailbox_id: int) -> None:
        self.batch, self.mailbox_id = batch, mailbox_id

    async def conversation_of_message(self, message_id: str) -> str | None:
        for row in self.batch.with_id(self.mailbox_id, message_id):
            if row.conversation_id is not None:
                return str(row.conversation_id)
        return None

    async def conversation_of_token(self, conversation_id: str) -> str | None:
        """The conversation a token names; if it was merged, the one it was merged into (a merge keeps
        pointers one step long: :mod:`.merge`)."""
        found = (
            await self.batch.session.execute(
                select(Conversation.id, Conversation.merged_into_id).where(
                    Conversation.uid == conversation_id, Conversation.mailbox_id == self.mailbox_id
                )
            )
        ).first()
        return None if found is None else str(found[1] or found[0])

    async def recent_conversations(self, contact_key: str, since: datetime) -> Sequence[RecentConversation]:
        batch = self.batch
        if batch.window_start is None or since < batch.window_start:
            return await self._recent_from_database(contact_key, since)
        address = batch.addresses.get(contact_key)
        if address is None:
            return []  # a contact not stored yet has no conversations
        return [
            RecentConversation(str(each.id), contact_key, each.subject, each.last_message_at)
            for each in batch.conversations.values()
            if each.contact_id == address.contact_id
            and each.mailbox_id == self.mailbox_id
            and each.merged_into_id is None  # merged away: its messages are elsewhere (see .merge)
            and each.last_message_at is not None
            and each.last_message_at >= since
        ]

    async def _recent_from_database(self, contact_key: str, since: datetime) -> Sequence[RecentConversation]:
        await self.batch.session.flush()
        rows: Any = await self.batch.session.execute(
            select(Conversation.id, Conversation.subject, Conversation.last_message_at)
            .join(ContactAddress, ContactAddress.contact_id == Conversation.contact_id)
            .where(
                ContactAddress.key == contact_key,
                Conversation.mailbox_id == self.mailbox_id,
                Conversation.merged_into_id.is_(None),
                Conversation.last_message_at >= since,
            )
        )
        return [
            RecentConversation(str(cid), contact_key, subject, last)
            for cid, subject, last in rows.all()
            if last is not None
        ]
