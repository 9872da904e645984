"""Which conversation a message belongs to, and the threading headers of our replies.

:func:`decide_thread` asks the caller's :class:`ConversationLookup` (the database, later; a dict in tests)
and tries, in this order, stopping at the first that answers:

1. ``known_message`` — the message's own Message-ID is already in a conversation: the same mail seen
   again, typically our own reply found later in the Sent folder. It attaches there; no duplicate.
2. ``in_reply_to`` — the message it answers (RFC 5322 section 3.6.4).
3. ``references`` — the thread's earlier messages, newest (last) first: the closest ancestor we know wins
   when a thread was split or merged.
4. ``token`` — our signed conversation token (:mod:`.tokens`), found in one of our Message-IDs quoted in
   In-Reply-To/References, or in an ``X-Mailwarden-Conversation`` header. This catches replies to mail
   we sent but never recorded by Message-ID (sent before a restore, or from another system). Forged or
   altered tokens do not verify and are ignored.
5. ``new`` — a new conversation. Subjects never decide: a *suggestion* may come with it — a recent
   conversation of the **same contact** (``contact_key``) within ``suggest_within`` whose normalised
   subject is the same and not generic. It is returned for an agent to accept, never merged
   automatically. FreeScout threads by markers it writes into mail bodies (its #2120), and its users
   report unrelated mail attached to old or wrong conversations (#4958, #3231, #2375): a guess that
   attaches a stranger's mail is worse than a new conversation an agent merges with one click.

``subject_key`` (the normalised subject) comes with every decision: people reuse an old mail to write about
something new ("recycled" replies, FreeScout #2120), so a header match whose subject differs from a long
closed conversation's may deserve a new conversation linked to the old one. That needs the conversation's
state, which the caller has.

:func:`reply_headers` makes the headers of a reply: a new Message-ID carrying the token, ``In-Reply-To``
the parent's Message-ID, ``References`` the parent's References (or, lacking them, its In-Reply-To) plus
the parent's Message-ID, trimmed to fit one 998-character line by keeping the first (the thread's root)
and as many of the last as fit — what RFC 5537 section 3.4.4 asks of news software, and what Thunderbird
and Gmail do with long threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from mailwarden.inbox.subjects import is_generic, normalise_subject
from mailwarden.inbox.tokens import TOKEN_HEADER, message_id_token, new_message_id, verify_token
from mailwarden.mime import ParsedMessage

__all__ = [
    "REFERENCES_LIMIT",
    "ConversationLookup",
    "How",
    "RecentConversation",
    "ReplyHeaders",
    "Suggestion",
    "ThreadDecision",
    "decide_thread",
    "reply_headers",
    "trim_references",
]

How = Literal["known_message", "in_reply_to", "references", "token", "new"]
#: RFC 5322 section 2.1.1: a line is at most 998 characters; "References: " takes 12 of them
REFERENCES_LIMIT = 998 - len("References: ")


@dataclass(frozen=True, slots=True)
class RecentConversation:
    """A recent conversation of a contact, as the lookup reports it for subject suggestions."""

    conversation_id: str
    contact_key: str
    subject: str
    last_message_at: datetime


@dataclass(frozen=True, slots=True)
class Suggestion:
    conversation_id: str
    reason: Literal["same_contact_same_subject"]
    subject: str


@dataclass(frozen=True, slots=True)
class ThreadDecision:
    conversation_id: str | None  # None: open a new conversation
    how: How
    via: str | None = None  # the Message-ID or token that decided
    suggestions: tuple[Suggestion, ...] = ()
    subject_key: str = ""  # the message's normalised subject (see the module docstring)


class ConversationLookup(Protocol):
    """What threading needs to know from storage. Implementations only read.

    Asynchronous because the storage is (SQLAlchemy's async sessions): the ingest passes an object over
    its session, the tests one over dicts.
    """

    async def conversation_of_message(self, message_id: str) -> str | None:
        """The conversation holding the message with this Message-ID (without angle brackets)."""

    async def conversation_of_token(self, conversation_id: str) -> str | None:
        """The live conversation a verified token's id names now (after merges), or None if gone."""

    async def recent_conversations(self, contact_key: str, since: datetime) -> Sequence[RecentConversation]:
        """Conversations of the contact ``contact_key`` with a message since ``since``."""


def _tokens(parsed: ParsedMessage) -> list[str]:
    ids = ([parsed.in_reply_to] if parsed.in_reply_to else []) + list(reversed(parsed.references))
    found = [token for token in map(message_id_token, ids) if token]
    found += [value.strip() for value in parsed.headers.get(TOKEN_HEADER.lower(), [])]
    return list(dict.fromkeys(found))


async def decide_thread(
    parsed: ParsedMessage,
    lookup: ConversationLookup,
    *,
    token_keys: Sequence[bytes],
    contact_key: str | None,
    now: datetime,
    suggest_within: timedelta = timedelta(days=14),
) -> ThreadDecision:
    """Where ``parsed`` belongs (see the module docstring for the order and why)."""
    subject = normalise_subject(parsed.subject)
    if parsed.message_id and (found := await lookup.conversation_of_message(parsed.message_id)):
        return ThreadDecision(found, "known_message", parsed.message_id, subject_key=subject)
    if parsed.in_reply_to and (found := await lookup.conversation_of_message(parsed.in_reply_to)):
        return ThreadDecision(found, "in_reply_to", parsed.in_reply_to, subject_key=subject)
    for reference in reversed(parsed.references):
        if reference != parsed.in_reply_to and (found := await lookup.conversation_of_message(reference)):
            return ThreadDecision(found, "references", reference, subject_key=subject)
    for token in _tokens(parsed):
        conversation_id = verify_token(token, token_keys)
        if conversation_id and (found := await lookup.conversation_of_token(conversation_id)):
            return ThreadDecision(found, "token", token, subject_key=subject)
    suggestions: tuple[Suggestion, ...] = ()
    if contact_key:
        suggestions = await _suggest(subject, lookup, contact_key, now - suggest_within)
    return ThreadDecision(None, "new", suggestions=suggestions, subject_key=subject)


async def _suggest(
    subject: str, lookup: ConversationLookup, contact_key: str, since: datetime
) -> tuple[Suggestion, ...]:
    if is_generic(subject):
        return ()
    recent = await lookup.recent_conversations(contact_key, since)
    matching = sorted(
        (
            each
            for each in recent
            # the lookup is asked for this contact only; checked again because a suggestion that crosses
            # customers is exactly the failure this rule exists to prevent
            if each.contact_key == contact_key
            and each.last_message_at >= since
            and normalise_subject(each.subject) == subject
        ),
        key=lambda each: each.last_message_at,
        reverse=True,
    )
    return tuple(
        Suggestion(each.conversation_id, "same_contact_same_subject", each.subject) for each in matching
    )


def trim_references(ids: Sequence[str], limit: int = REFERENCES_LIMIT) -> list[str]:
    """``ids`` (without angle brackets, oldest first) cut to fit ``limit`` characters as ``<a> <b> ...``:
    the first kept, then as many of the last as fit; an id too long to fit at all is dropped."""
    # a repeated id keeps its last place: a parent that a client also listed earlier stays the last
    unique = [each for each in reversed(dict.fromkeys(reversed(ids))) if len(each) + 2 <= limit]
    if sum(len(each) + 3 for each in unique) - 1 <= limit:
        return unique
    first, rest = unique[0], unique[1:]
    kept: list[str] = []
    used = len(first) + 2
    for each in reversed(rest):
        if used + len(each) + 3 > limit:
            break
        kept.append(each)
        used += len(each) + 3
    if not kept and rest:  # the parent matters more than the root: it is what clients thread by
        return [rest[-1]] if len(rest[-1]) + 2 <= limit else [first]
    return [first, *reversed(kept)]


@dataclass(frozen=True, slots=True)
class ReplyHeaders:
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    conversation_token: str

    def as_headers(self) -> dict[str, str]:
        """Header name -> value, ids in angle brackets; References folded one id per line."""
        headers = {"Message-ID": f"<{self.message_id}>", TOKEN_HEADER: self.conversation_token}
        if self.in_reply_to:
            headers["In-Reply-To"] = f"<{self.in_reply_to}>"
        if self.references:
            headers["References"] = "\r\n ".join(f"<{each}>" for each in self.references)
        return headers


def reply_headers(
    parent: ParsedMessage | None, *, domain: str, conversation_id: str, key: bytes
) -> ReplyHeaders:
    """The threading headers of our reply to ``parent`` (None: the first message of a conversation)."""
    message_id = new_message_id(domain, conversation_id, key)
    token = message_id_token(message_id)
    assert token is not None  # new_message_id makes the shape message_id_token reads
    if parent is None or not parent.message_id:
        ancestors = [] if parent is None else list(parent.references)
        return ReplyHeaders(message_id, None, tuple(trim_references(ancestors)), token)
    ancestors = list(parent.references) or ([parent.in_reply_to] if parent.in_reply_to else [])
    references = trim_references([*ancestors, parent.message_id])
    return ReplyHeaders(message_id, parent.message_id, tuple(references), token)
