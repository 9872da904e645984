"""Properties: no input makes parse_message raise, and every attachment it reports can be extracted."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mime_corpus import CORPUS

from mailwarden.mime import ParsedMessage, extract_part, parse_message

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# bytes that matter to MIME, so random data hits the parser's interesting paths
_SPECIALS = [
    b"\r\n",
    b"\n",
    b"=?",
    b"?=",
    b"?B?",
    b"?Q?",
    b"--",
    b":",
    b";",
    b'"',
    b"\\",
    b"=",
    b"*0*=",
    b"<",
    b">",
]
_SPECIALS += [b"Content-Type: multipart/mixed; boundary=b\r\n", b"--b\r\n", b"--b--", b"\xff", b"\xe9\x46"]
_SPECIALS += [b"Content-Transfer-Encoding: base64\r\n", b"charset=gb2312", b"filename*=utf-8''%E6"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(CORPUS[draw(st.sampled_from(sorted(CORPUS)))])
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "special"]))
        if action == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif action == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        elif action == "truncate":
            del raw[at:]
        else:
            raw[at:at] = draw(st.sampled_from(_SPECIALS))
    return bytes(raw)


def check(raw: bytes) -> ParsedMessage:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.size == len(raw)
    assert not [d for d in parsed.defects if d.kind == "internal"], parsed.defects
    for attachment in parsed.attachments:
        data = extract_part(raw, attachment.part_path)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (attachment.size, attachment.sha256)
    return parsed


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    check(raw)


@FAST
@given(st.lists(st.one_of(st.sampled_from(_SPECIALS), st.binary(max_size=12)), max_size=60).map(b"".join))
def test_random_mime_shaped_bytes_never_raise(raw: bytes) -> None:
    check(raw)


@FAST
@given(mutated())
def test_mutations_of_the_corpus_never_raise(raw: bytes) -> None:
    check(raw)


@FAST
@given(mutated())
def test_without_text_everything_but_the_text_is_the_same(raw: bytes) -> None:
    full, lean = parse_message(raw), parse_message(raw, text=False)
    assert (lean.text, lean.html, lean.text_from_html) == ("", None, False)
    for name in (
        "message_id",
        "subject",
        "from_",
        "to",
        "cc",
        "date",
        "references",
        "attachments",
        "headers",
    ):
        assert getattr(lean, name) == getattr(full, name), name
    assert set(lean.defects) <= set(full.defects)
