"""The database half of ingesting a message: where it goes, inside the batch's transaction.

:func:`place` takes a :class:`.prepare.Prepared` message and, in this order:

1. **already** — this mailbox has a message with these bytes (same sha256): nothing to do (the caller
   checks, :mod:`.ingest`). The unique constraint on (mailbox, sha256) makes this structural.
2. **sent_seen** — our reply, recorded when we sent it (no archived copy yet), now seen in Sent: the row
   gets its archive copy; no new message (the hook the replies of a later step use).
3. **copy** — the same message with other bytes (same Message-ID, sender, date and subject: as delivered and
   as a mail client saved it in Sent): recorded as a copy of the first, in its conversation, shown once.
4. threading (:func:`.threading.decide_thread` over the tables of this mailbox), then **answered_first**:
   a message that opens nothing but was already answered by a message archived *before* it (sync walked
   Sent before INBOX) joins that reply's conversation.
5. noise never opens a conversation: it joins the one it answers, if any; a bounce is linked to our
   message it returned (:class:`.models.BounceLink`), and shown on that message's conversation.
6. a customer's answer to a conversation closed for over a month, with another subject, is a new matter
   written as a reply ("recycled", FreeScout #2120): it opens a new conversation naming the old as related.
7. a person's mail **attaches** to its conversation or **opens** one (incoming: open; our own first mail
   to a customer: pending, waiting on them). Our mail to nobody outside the team is **internal**: it
   joins the conversation it belongs to (a colleague forwarding the inquiry to a colleague) without
   counting as an answer — no status change, no agent time — and opens none.
8. **history** — mail the server received long before its mailbox was added (:meth:`.prepare.Team.
   is_history`) is placed like any other (threads, contacts, companies: the customers' record) but is
   not work: a conversation it opens is filed ``closed`` at once (a ``status`` event by
   ``system:history``), and it never moves a status; assignment and the SLA clock pass it over.

Contacts and companies are created or completed from the message's parties on the way (person mail only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from mailwarden.inbox import events
from mailwarden.inbox.lookup import BatchLookup
from mailwarden.inbox.models import (
    BounceLink,
    Company,
    Contact,
    ContactAddress,
    Conversation,
    ConversationMessage,
    new_uid,
)
from mailwarden.inbox.parties import Contact as PartyContact
from mailwarden.inbox.prepare import Prepared, Team
from mailwarden.inbox.subjects import is_generic, normalise_subject
from mailwarden.inbox.threading import decide_thread
from mailwarden.inbox.tokens import make_token, verify_token

__all__ = ["HISTORY_ACTOR", "RECYCLED_AFTER", "Outcome", "Placed", "place"]

Outcome = Literal["already", "sent_seen", "copy", "opened", "attached", "internal", "noise"]
#: how long a conversation must have been closed before a reply with another subject starts a new one
RECYCLED_AFTER = timedelta(days=30)
#: who files the mailbox's past as closed
HISTORY_ACTOR = events.system_actor("history")


@dataclass(frozen=True, slots=True)
class Placed:
    """What :func:`place` did with one message: what assignment and the SLA clock start from.

    ``message`` may not be flushed yet (no ``id``): the ingest flushes the batch before it calls hooks."""

    outcome: Outcome
    message: ConversationMessage
    direction: Literal["in", "out"]
    noise: str
    at: datetime
    # --- assign ---
    #: the message's text (plain, or made from its HTML): what assignment rules look for keywords in
    text: str = ""
    #: the mailbox's past, not work (see step 8 above)
    history: bool = False

    @property
    def conversation_id(self) -> int | None:
        return self.message.conversation_id


def _message(item: Prepared, **values: object) -> ConversationMessage:
    parsed = item.parsed
    sender = parsed.from_[0] if parsed.from_ else None
    return ConversationMessage(
        mailbox_id=item.row.mailbox_id,
        archive_message_id=item.row.id,
        sha256=item.row.sha256,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        direction="out" if item.outgoing else "in",
        noise=item.verdict.kind,
        noise_evidence=[[e.header, e.value, e.means] for e in item.verdict.evidence],
        from_addr=sender.address if sender else None,
        from_name=(sender.name or None) if sender else None,
        subject=parsed.subject,
        language=item.parties.language.code if item.parties.language else None,
        at=item.at,
        history=item.history,
        **values,
    )


async def _add(lookup: BatchLookup, row: ConversationMessage, *, flush: bool = False) -> ConversationMessage:
    """Add ``row``; flushed when its id is needed now, else with the next query or the batch's end (one
    INSERT for many rows: a flush per message was most of the ingest's time)."""
    lookup.session.add(row)
    if flush:
        await lookup.session.flush()
    lookup.remember(row)
    return row


def _placed(outcome: Outcome, row: ConversationMessage, item: Prepared) -> Placed:
    direction: Literal["in", "out"] = "out" if item.outgoing else "in"
    return Placed(outcome, row, direction, item.verdict.kind, item.at, item.parsed.text, item.history)


def _copy_of(lookup: BatchLookup, item: Prepared) -> ConversationMessage | None:
    parsed = item.parsed
    if parsed.date is None:
        return None  # without a Date the arrival times differ between copies: nothing to compare
    sender = (item.sender or "").lower()
    for each in lookup.with_id(item.row.mailbox_id, parsed.message_id):
        # two different messages can share a Message-ID (<dup@x>): the same id is not the same message
        if (
            each.copy_of_id is None
            and (each.from_addr or "").lower() == sender
            and each.subject == parsed.subject
            and each.at == item.at
        ):
            return each
    return None


async def _company(session: AsyncSession, lookup: BatchLookup, party: PartyContact) -> Company | None:
    if party.company is None:
        return None
    found = lookup.companies.get(party.company.domain)
    country = party.company.country
    if found is None:
        # every value set before the INSERT: an UPDATE right after it is one more round trip
        found = Company(domain=party.company.domain, display_domain=party.company.display_domain)
        if country is not None:
            found.country, found.country_source, found.country_evidence = (
                country.code,
                country.source,
                country.evidence,
            )
        session.add(found)
        await session.flush()
        lookup.companies[found.domain] = found
    elif found.country is None and country is not None:
        found.country, found.country_source, found.country_evidence = (
            country.code,
            country.source,
            country.evidence,
        )
    return found


async def _contacts(session: AsyncSession, lookup: BatchLookup, item: Prepared) -> dict[str, Contact]:
    """Each party of the message as a stored contact (created, or completed: a name, a company; the
    sender's language, and country when the signature tells it)."""
    out: dict[str, Contact] = {}
    for party in item.parties.contacts:
        company = await _company(session, lookup, party)
        address = lookup.addresses.get(party.address.key)
        contact = None if address is None else await lookup.contact(address.contact_id)
        new = contact is None
        if contact is None:
            contact = Contact(name=party.name, company_id=company.id if company else None)
        else:
            contact.name = contact.name or party.name
            if contact.company_id is None and company is not None:
                contact.company_id = company.id
        if "from" in party.roles and not item.outgoing:
            if item.parties.language is not None:
                contact.language = item.parties.language.code
            country = item.parties.sender_country
            if contact.country is None and country is not None:
                contact.country, contact.country_source = country.code, country.source
        if new:
            session.add(contact)
            await session.flush()
            lookup.contacts[contact.id] = contact
            key, display = party.address.key, party.address.display
            lookup.addresses[key] = ContactAddress(contact_id=contact.id, key=key, display=display)
            session.add(lookup.addresses[key])
        out[party.address.key] = contact
    return out


def _principal(item: Prepared, contacts: dict[str, Contact]) -> Contact | None:
    """The customer of the message: its sender (incoming), else its first recipient (our mail)."""
    role = "to" if item.outgoing else "from"
    for party in item.parties.contacts:
        if role in party.roles:
            return contacts[party.address.key]
    return next(iter(contacts.values()), None)


def _touch(conversation: Conversation, item: Prepared) -> None:
    """Times and status after a person's message: only the newest message moves the status (a reply
    archived before the question it answers must not reopen the conversation)."""
    at = item.at
    newest = conversation.last_message_at is None or at >= conversation.last_message_at
    if conversation.first_message_at is None or at < conversation.first_message_at:
        # the thread's start, archived after a reply to it: the conversation is named after it
        if conversation.first_message_at is not None:
            conversation.subject = item.parsed.subject
            conversation.subject_key = normalise_subject(item.parsed.subject)
        conversation.first_message_at = at
        if not item.outgoing and item.parties.language is not None:
            conversation.language = item.parties.language.code
    conversation.last_message_at = max(filter(None, (conversation.last_message_at, at)))
    newest = newest and not item.history  # the past moves no status
    if item.outgoing:
        conversation.last_agent_at = max(filter(None, (conversation.last_agent_at, at)))
        if newest and conversation.status == "open":
            conversation.status = "pending"  # answered: waiting on the customer
    else:
        conversation.last_customer_at = max(filter(None, (conversation.last_customer_at, at)))
        if newest and conversation.status != "open":
            conversation.status, conversation.snoozed_until = "open", None  # the customer wrote again


async def _bounce_target(
    lookup: BatchLookup, item: Prepared, team: Team
) -> tuple[ConversationMessage | None, int | None]:
    """Our message the bounce returned (only one we sent: backscatter names others), and its conversation;
    else the conversation a verified token in the returned headers names."""
    report = item.bounce
    if report is None:
        return None, None
    for message_id in report.message_ids:
        for original in lookup.with_id(item.row.mailbox_id, message_id):
            if original.direction == "out":
                return original, original.conversation_id
    mailbox = lookup.for_mailbox(item.row.mailbox_id)
    for token in report.conversation_tokens:
        uid = verify_token(token, team.token_keys)
        found = await mailbox.conversation_of_token(uid) if uid else None
        if found is not None:
            return None, int(found)
    return None, None


async def _noise(
    lookup: BatchLookup, item: Prepared, team: Team, conversation_id: int | None, how: str | None
) -> Placed:
    session = lookup.session
    original, bounced_in = await _bounce_target(lookup, item, team)
    conversation_id = conversation_id or bounced_in
    row = await _add(
        lookup,
        _message(
            item,
            conversation_id=conversation_id,
            threaded_by="bounce" if bounced_in and conversation_id == bounced_in else how,
        ),
        flush=item.bounce is not None,
    )
    if item.bounce is not None:
        session.add(
            BounceLink(
                bounce_id=row.id,
                original_id=original.id if original else None,
                conversation_id=conversation_id,
                format=item.bounce.format,
                permanent=item.bounce.permanent,
                recipients=[
                    {"address": r.address, "action": r.action, "status": r.status, "diagnostic": r.diagnostic}
                    for r in item.bounce.recipients
                ],
                named_message_ids=list(item.bounce.message_ids),
            )
        )
    return _placed("noise", row, item)


async def _recycled(
    lookup: BatchLookup, item: Prepared, conversation_id: int, subject_key: str, how: str
) -> bool:
    """Whether a customer answered an old mail to write about something new (FreeScout #2120, #4958): the
    headers point at a conversation closed for more than :data:`RECYCLED_AFTER`, and the subject is
    another one. Such a message opens a new conversation, which names the old one as related."""
    if item.outgoing or how not in {"in_reply_to", "references", "token"}:
        return False
    conversation = await lookup.conversation(conversation_id)
    last = conversation.last_message_at
    return (
        conversation.status == "closed"
        and last is not None
        and item.at - last > RECYCLED_AFTER
        and not is_generic(subject_key)
        and subject_key != conversation.subject_key
    )


async def place(lookup: BatchLookup, item: Prepared, team: Team) -> Placed:
    """Record ``item`` in the inbox tables (see the module docstring), with what ``lookup`` loaded for the
    batch. The caller has checked that the mailbox has no message with these bytes yet (``already``).
    Runs inside the caller's transaction; flushes, never commits."""
    session, mailbox_id, parsed = lookup.session, item.row.mailbox_id, item.parsed
    if item.outgoing:
        for sent in lookup.with_id(mailbox_id, parsed.message_id):
            if sent.direction == "out" and sent.sha256 is None:
                sent.sha256, sent.archive_message_id = item.row.sha256, item.row.id
                await session.flush()
                return _placed("sent_seen", sent, item)
    copy = _copy_of(lookup, item)
    if copy is not None:
        if copy.id is None:
            await session.flush()
        row = _message(item, conversation_id=copy.conversation_id, copy_of_id=copy.id, threaded_by="copy")
        return _placed("copy", await _add(lookup, row), item)
    party = next((c for c in item.parties.contacts if ("to" if item.outgoing else "from") in c.roles), None)
    decision = await decide_thread(
        parsed,
        lookup.for_mailbox(mailbox_id),
        token_keys=team.token_keys,
        contact_key=party.address.key if party else None,
        now=item.at,
    )
    conversation_id = int(decision.conversation_id) if decision.conversation_id else None
    how: str = decision.how
    answered = lookup.answered.get((mailbox_id, parsed.message_id)) if parsed.message_id else None
    if conversation_id is None and answered is not None:
        conversation_id, how = answered, "answered_first"
    if not item.verdict.is_person:
        return await _noise(lookup, item, team, conversation_id, how if conversation_id else None)
    recycled: list[int] = []
    if conversation_id is not None and await _recycled(
        lookup, item, conversation_id, decision.subject_key, how
    ):
        recycled, conversation_id, how = [conversation_id], None, "recycled"
    contacts = await _contacts(session, lookup, item)
    principal = _principal(item, contacts)
    if item.outgoing and not contacts:
        row = _message(
            item, conversation_id=conversation_id, threaded_by=how if conversation_id else "internal"
        )
        return _placed("internal", await _add(lookup, row), item)
    outcome: Outcome = "attached"
    if conversation_id is None:
        uid = new_uid()
        conversation = Conversation(
            uid=uid,
            token=make_token(uid, team.token_keys[0]),
            mailbox_id=mailbox_id,
            subject=parsed.subject,
            subject_key=decision.subject_key,
            status="closed" if item.history else "pending" if item.outgoing else "open",
            language=item.parties.language.code if item.parties.language and not item.outgoing else None,
            suggested_ids=recycled + [int(s.conversation_id) for s in decision.suggestions],
            contact_id=principal.id if principal else None,
            company_id=principal.company_id if principal else None,
        )
        _touch(conversation, item)  # before the INSERT: an UPDATE right after it is one more round trip
        session.add(conversation)
        await session.flush()
        lookup.conversations[conversation.id] = conversation
        outcome = "opened"
        await events.record(
            session,
            conversation,
            "created",
            actor=events.system_actor("ingest"),
            detail={"by": "outgoing" if item.outgoing else "customer", "threaded": how},
            at=item.at,
        )
        if item.history:  # filed: the timeline says so, and why
            previous = "pending" if item.outgoing else "open"
            detail = {"status": "closed", "previous": previous, "history": True}
            await events.record(
                session, conversation, "status", actor=HISTORY_ACTOR, detail=detail, at=item.at
            )
    else:
        conversation = await lookup.conversation(conversation_id)
        if conversation.contact_id is None and principal is not None:
            conversation.contact_id, conversation.company_id = principal.id, principal.company_id
        _touch(conversation, item)
    row = await _add(
        lookup,
        _message(
            item,
            conversation_id=conversation.id,
            contact_id=principal.id if principal else None,
            threaded_by=how,
            threaded_via=decision.via,
        ),
    )
    return _placed(outcome, row, item)
