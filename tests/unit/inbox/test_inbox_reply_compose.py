"""Composing replies: headers, bodies, attachments — read back with our own parser and the stdlib's."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from mailwarden.core.errors import InputError
from mailwarden.imap.folders import Folder
from mailwarden.inbox.compose import Attachment, Draft, Quoted, compose, reply_subject
from mailwarden.inbox.sent_folder import choose_sent
from mailwarden.inbox.threading import reply_headers
from mailwarden.mime import parse_message
from mailwarden.mime.addresses import Address

KEY = b"compose test key, 32 bytes long!"
AT = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
PARENT = parse_message(
    b"From: Anna <anna@weber.example>\r\nSubject: Price list\r\nMessage-ID: <q2@weber.example>\r\n"
    b"In-Reply-To: <q1@weber.example>\r\nReferences: <q0@weber.example> <q1@weber.example>\r\n\r\nHi\r\n"
)


def _draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "from_address": "sales@example.test",
        "from_name": "ACME 销售部",
        "to": [Address("Anna Weber", "anna@weber.example")],
        "subject": "Price list",
        "body_text": "Dear Anna,\nhere it is.",
        "headers": reply_headers(PARENT, domain="example.test", conversation_id="c1", key=KEY),
        "at": AT,
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Price list", "Re: Price list"),
        ("Re: Price list", "Re: Price list"),
        ("RE:  Price   list", "RE: Price list"),
        ("AW: Preisliste", "AW: Preisliste"),
        ("回复：报价", "回复：报价"),
        ("Fwd: Price list", "Re: Fwd: Price list"),
        ("", "Re:"),
    ],
)
def test_it_says_re_once(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_the_threading_headers_go_out_as_made() -> None:
    composed = compose(_draft())
    parsed = parse_message(composed.raw)
    assert parsed.message_id == composed.message_id and composed.message_id.startswith("conv-c1-")
    assert parsed.in_reply_to == "q2@weber.example"
    assert parsed.references == ["q0@weber.example", "q1@weber.example", "q2@weber.example"]
    assert [(a.name, a.address) for a in parsed.from_] == [("ACME 销售部", "sales@example.test")]
    assert parsed.subject == "Re: Price list"
    assert parsed.date == AT
    assert not parsed.is_auto_reply and "auto-submitted" not in parsed.headers
    assert b"\r\n" in composed.raw and b"\n\n" not in composed.raw.replace(b"\r\n", b"")


def test_a_plain_reply_is_one_text_part_in_utf8() -> None:
    message = email.message_from_bytes(
        compose(_draft(body_text="你好，价格如下。")).raw, policy=email.policy.SMTP
    )
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "base64"  # never 8bit: not every server has 8BITMIME
    assert message.get_content() == "你好，价格如下。\r\n"  # type: ignore[attr-defined]  # canonical CRLF


def test_html_is_cleaned_and_has_a_text_alternative() -> None:
    raw = compose(_draft(body_html='<p style="color:red">Hi</p><script>steal()</script>')).raw
    message = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]  # type: ignore[attr-defined]
    assert kinds == ["text/plain", "text/html"]
    html = parse_message(raw).html
    assert html is not None and "<p>Hi</p>" in html and "script" not in html


def test_a_chinese_attachment_name_is_rfc_2231_encoded() -> None:
    raw = compose(_draft(attachments=[Attachment("报价单 2026.pdf", "application/pdf", b"%PDF-1.4")])).raw
    assert b"filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%202026.pdf" in raw
    (attachment,) = parse_message(raw).attachments
    assert (attachment.filename, attachment.content_type) == ("报价单 2026.pdf", "application/pdf")


def test_signature_and_quote_follow_the_text() -> None:
    quote = Quoted("Anna Weber", AT, "Please send prices.\n")
    text = parse_message(compose(_draft(signature_text="Li Wei\nACME", quote=quote)).raw).text
    assert text.index("here it is.") < text.index("-- \nLi Wei") < text.index("Anna Weber wrote:")
    assert "> Please send prices." in text


@pytest.mark.parametrize(
    "draft",
    [
        {"to": []},
        {"to": [Address("", "not an address")]},
        {"cc": [Address("", "a@b.example>, evil@x.example")]},
        {"attachments": [Attachment("../etc/passwd", "text/plain", b"x")]},
        {"attachments": [Attachment("a.txt", "text plain", b"x")]},
    ],
)
def test_what_cannot_go_in_a_header_is_refused(draft: dict[str, object]) -> None:
    with pytest.raises(InputError):
        compose(_draft(**draft))


def _folder(name: str, *attributes: str) -> Folder:
    return Folder(name, name.encode(), "/", frozenset(attributes))


def test_the_sent_folder_is_the_marked_one_else_a_known_name() -> None:
    marked = [_folder("INBOX"), _folder("Sent"), _folder("Gesendet", "\\Sent")]
    assert choose_sent(marked) == marked[2]
    assert choose_sent([_folder("INBOX"), _folder("已发送")], None) is not None
    assert choose_sent([_folder("INBOX"), _folder("Sent Items")]) == _folder("Sent Items")
    assert choose_sent([_folder("INBOX"), _folder("Outbox")]) is None
    assert choose_sent([_folder("INBOX"), _folder("Outbox")], "Outbox") == _folder("Outbox")
    assert choose_sent([_folder("Sent", "\\Noselect")]) is None
