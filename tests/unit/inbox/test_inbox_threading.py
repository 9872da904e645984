"""Threading: headers first, our signed token as fallback, subjects only as a same-contact suggestion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.inbox.threading import (
    REFERENCES_LIMIT,
    RecentConversation,
    decide_thread,
    reply_headers,
    trim_references,
)
from mailwarden.inbox.tokens import make_token, message_id_token
from mailwarden.mime import ParsedMessage, parse_message

import inbox_samples as samples

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
KEYS = [samples.TOKEN_KEY]


@dataclass
class MemoryLookup:
    """A ConversationLookup over dicts: what the database will answer, for these tests."""

    messages: dict[str, str] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)  # token's conversation id -> live conversation
    recent: list[RecentConversation] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    async def conversation_of_message(self, message_id: str) -> str | None:
        self.asked.append(message_id)
        return self.messages.get(message_id)

    async def conversation_of_token(self, conversation_id: str) -> str | None:
        return self.live.get(conversation_id)

    async def recent_conversations(self, contact_key: str, since: datetime) -> Sequence[RecentConversation]:
        return [
            each for each in self.recent if each.contact_key == contact_key and each.last_message_at >= since
        ]


def _message(*headers: str, subject: str = "Re: LED panel quotation") -> ParsedMessage:
    lines = [
        "From: Buyer <buyer@example.de>",
        "To: sales@example-exporter.cn",
        f"Subject: {subject}",
        *headers,
    ]
    return parse_message(("\r\n".join(lines) + "\r\n\r\nThanks.\r\n").encode())


async def test_the_same_message_seen_again_stays_where_it_is() -> None:
    lookup = MemoryLookup(messages={"sent-1@example-exporter.cn": "conv-a"})
    decision = await decide_thread(
        _message("Message-ID: <sent-1@example-exporter.cn>"),
        lookup,
        token_keys=KEYS,
        contact_key=None,
        now=NOW,
    )
    assert (decision.conversation_id, decision.how) == ("conv-a", "known_message")


async def test_in_reply_to_wins_over_references() -> None:
    lookup = MemoryLookup(messages={"parent@x": "conv-parent", "root@x": "conv-root"})
    parsed = _message("Message-ID: <new@y>", "In-Reply-To: <parent@x>", "References: <root@x> <parent@x>")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert (decision.conversation_id, decision.how, decision.via) == (
        "conv-parent",
        "in_reply_to",
        "parent@x",
    )
    assert decision.subject_key == "led panel quotation"


async def test_references_are_tried_newest_first() -> None:
    lookup = MemoryLookup(messages={"root@x": "conv-root", "middle@x": "conv-middle"})
    parsed = _message(
        "Message-ID: <new@y>", "In-Reply-To: <unknown@x>", "References: <root@x> <middle@x> <last@x>"
    )
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert (decision.conversation_id, decision.how, decision.via) == ("conv-middle", "references", "middle@x")
    assert lookup.asked == ["new@y", "unknown@x", "last@x", "middle@x"]


async def test_our_token_in_a_quoted_message_id_is_the_fallback() -> None:
    lookup = MemoryLookup(live={"c42": "c42"})
    parsed = _message("Message-ID: <new@y>", f"In-Reply-To: <{samples.OUR_ID}>")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert (decision.conversation_id, decision.how, decision.via) == ("c42", "token", samples.OUR_TOKEN)


async def test_a_token_follows_a_merge() -> None:
    lookup = MemoryLookup(live={"c42": "c7"})
    parsed = _message("Message-ID: <new@y>", f"References: <{samples.OUR_ID}>")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert decision.conversation_id == "c7"


async def test_the_token_header_counts_too() -> None:
    lookup = MemoryLookup(live={"c42": "c42"})
    parsed = _message("Message-ID: <new@y>", f"X-Mailwarden-Conversation: {samples.OUR_TOKEN}")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert (decision.conversation_id, decision.how) == ("c42", "token")


async def test_a_forged_token_opens_a_new_conversation() -> None:
    lookup = MemoryLookup(live={"c42": "c42", "c43": "c43"})
    forged = "c43-" + samples.OUR_TOKEN.split("-")[1]  # a real MAC, another conversation's id
    parsed = _message(
        "Message-ID: <new@y>",
        f"X-Mailwarden-Conversation: {forged}",
        f"In-Reply-To: <conv-{forged}.abc@mail.example-exporter.cn>",
    )
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key=None, now=NOW)
    assert (decision.conversation_id, decision.how) == (None, "new")


async def test_a_token_for_a_deleted_conversation_opens_a_new_one() -> None:
    parsed = _message("Message-ID: <new@y>", f"In-Reply-To: <{samples.OUR_ID}>")
    decision = await decide_thread(parsed, MemoryLookup(), token_keys=KEYS, contact_key=None, now=NOW)
    assert decision.how == "new"


def _recent(conversation_id: str, contact: str, subject: str, days_ago: int) -> RecentConversation:
    return RecentConversation(conversation_id, contact, subject, NOW - timedelta(days=days_ago))


async def test_a_same_subject_from_the_same_contact_is_only_suggested() -> None:
    lookup = MemoryLookup(
        recent=[
            _recent("c1", "buyer@example.de", "LED panel quotation", 3),
            _recent("c2", "buyer@example.de", "AW: led panel  QUOTATION", 1),
            _recent("c3", "buyer@example.de", "LED panel quotation", 30),  # too old
            _recent("c4", "buyer@example.de", "Shipping schedule", 1),
        ]
    )
    parsed = _message("Message-ID: <new@y>")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key="buyer@example.de", now=NOW)
    assert (decision.conversation_id, decision.how) == (None, "new")
    assert [each.conversation_id for each in decision.suggestions] == ["c2", "c1"]


async def test_a_generic_subject_suggests_nothing() -> None:
    lookup = MemoryLookup(recent=[_recent("c1", "buyer@example.de", "Inquiry", 1)])
    parsed = _message("Message-ID: <new@y>", subject="RE: Inquiry")
    decision = await decide_thread(parsed, lookup, token_keys=KEYS, contact_key="buyer@example.de", now=NOW)
    assert decision.suggestions == ()


class LeakyLookup(MemoryLookup):
    """A lookup that (wrongly) returns every recent conversation, whoever's it is."""

    async def recent_conversations(self, contact_key: str, since: datetime) -> Sequence[RecentConversation]:
        return self.recent


_CONTACTS = st.sampled_from(["a@example.de", "b@example.fr", "c@example.cn", "d@gmail.com"])
_SUBJECTS = st.sampled_from(
    ["LED panel quotation", "Re: LED panel quotation", "Order 4711", "Inquiry", "样品"]
)


@settings(max_examples=150, deadline=None)
@given(
    existing=st.lists(st.tuples(_CONTACTS, _SUBJECTS, st.integers(0, 40)), max_size=12),
    sender=_CONTACTS,
    subject=_SUBJECTS,
)
async def test_threading_never_links_across_customers_by_subject(
    existing: list[tuple[str, str, int]], sender: str, subject: str
) -> None:
    """GIVEN conversations of several customers with overlapping subjects (and a lookup that leaks them all)
    WHEN a mail without usable references arrives
    THEN it opens a new conversation, and every suggestion is one of the sender's own conversations."""
    recent = [_recent(f"c{i}", contact, text, days) for i, (contact, text, days) in enumerate(existing)]
    owner = {each.conversation_id: each.contact_key for each in recent}
    decision = await decide_thread(
        _message("Message-ID: <new@y>", subject=subject),
        LeakyLookup(recent=recent),
        token_keys=KEYS,
        contact_key=sender,
        now=NOW,
    )
    assert decision.conversation_id is None
    assert all(owner[each.conversation_id] == sender for each in decision.suggestions)


def test_a_reply_answers_the_parent_and_extends_its_references() -> None:
    parent = _message("Message-ID: <p3@x>", "In-Reply-To: <p2@x>", "References: <p1@x> <p2@x>")
    headers = reply_headers(
        parent, domain="mail.example-exporter.cn", conversation_id="c42", key=samples.TOKEN_KEY
    )
    assert headers.in_reply_to == "p3@x"
    assert headers.references == ("p1@x", "p2@x", "p3@x")
    assert (
        message_id_token(headers.message_id)
        == make_token("c42", samples.TOKEN_KEY)
        == headers.conversation_token
    )
    rendered = headers.as_headers()
    assert rendered["In-Reply-To"] == "<p3@x>"
    assert rendered["References"] == "<p1@x>\r\n <p2@x>\r\n <p3@x>"
    assert rendered["X-Mailwarden-Conversation"] == headers.conversation_token
    assert rendered["Message-ID"] == f"<{headers.message_id}>"


def test_a_parent_without_references_contributes_its_in_reply_to() -> None:
    parent = _message("Message-ID: <p2@x>", "In-Reply-To: <p1@x>")
    headers = reply_headers(parent, domain="example.cn", conversation_id="c1", key=samples.TOKEN_KEY)
    assert headers.references == ("p1@x", "p2@x")


def test_a_first_message_has_no_in_reply_to() -> None:
    headers = reply_headers(None, domain="example.cn", conversation_id="c1", key=samples.TOKEN_KEY)
    assert headers.in_reply_to is None and headers.references == ()
    assert "In-Reply-To" not in headers.as_headers() and "References" not in headers.as_headers()


def _rendered_length(ids: list[str]) -> int:
    return len(" ".join(f"<{each}>" for each in ids))


_ID = st.builds(
    "{}@{}".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.$", min_size=1, max_size=60),
    st.sampled_from(["mail.gmail.com", "example.de", "AM0PR01MB1234.eurprd01.prod.outlook.com", "qq.com"]),
)


@settings(max_examples=300, deadline=None)
@given(ids=st.lists(_ID, min_size=1, max_size=80, unique=True))
def test_trimmed_references_keep_first_and_last_and_fit_one_line(ids: list[str]) -> None:
    trimmed = trim_references(ids)
    assert _rendered_length(trimmed) <= REFERENCES_LIMIT
    assert len("References: ") + _rendered_length(trimmed) <= 998
    assert trimmed[0] == ids[0] and trimmed[-1] == ids[-1]
    # what is kept is the root and an unbroken run of the newest, in order
    assert trimmed[1:] == ids[len(ids) - len(trimmed) + 1 :] or trimmed == ids


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.text(alphabet="abc@.", min_size=1, max_size=1200), min_size=1, max_size=6))
def test_trimming_fits_even_absurdly_long_ids(ids: list[str]) -> None:
    trimmed = trim_references(ids)
    assert _rendered_length(trimmed) <= REFERENCES_LIMIT
    if len(ids[-1]) + 2 <= REFERENCES_LIMIT:
        assert trimmed[-1] == ids[-1]


def test_short_references_are_kept_whole() -> None:
    assert trim_references(["a@x", "b@x", "c@x"]) == ["a@x", "b@x", "c@x"]


def test_a_repeated_id_keeps_its_last_place() -> None:
    assert trim_references(["a@x", "b@x", "a@x"]) == ["b@x", "a@x"]


def test_a_long_thread_keeps_its_root_and_newest_references() -> None:
    ids = [f"message-{number:04d}@mail.example.de" for number in range(100)]  # 28 characters, 30 with <>
    trimmed = trim_references(ids)
    assert trimmed[0] == ids[0] and trimmed[-1] == ids[-1]
    assert trimmed[1:] == ids[-(len(trimmed) - 1) :]
    # the root takes 30 characters, every further id a space and 30: as many as fit, and no more
    assert len(trimmed) == 1 + (REFERENCES_LIMIT - 30) // 31
    assert _rendered_length(trimmed) <= REFERENCES_LIMIT
