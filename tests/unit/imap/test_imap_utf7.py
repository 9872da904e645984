"""Modified UTF-7 mailbox names (RFC 3501 5.1.3): known spellings, the oracle, and what must be refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient import imap_utf7

from mailwarden.imap import utf7
from mailwarden.imap.items import decode_name

KNOWN = [
    ("INBOX", b"INBOX"),
    ("询盘", b"&i+J22A-"),
    ("客户", b"&W6JiNw-"),
    ("客户/重要", b"&W6JiNw-/&kc2JgQ-"),
    ("~peter/mail/台北/日本語", b"~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # the RFC's own example
    ("Tom & Jerry", b"Tom &- Jerry"),
    ("&", b"&-"),
    ("Entwürfe", b"Entw&APw-rfe"),
    ("报价 2026 (final)", b"&YqVO9w- 2026 (final)"),
    ("📎 attachments", b"&2D3czg- attachments"),  # outside the BMP: a UTF-16 surrogate pair
    ("tab\there", b"tab&AAk-here"),  # control characters are shifted too
    ("", b""),
]


@pytest.mark.parametrize(("name", "wire"), KNOWN)
def test_it_encodes_and_decodes_the_known_spellings(name: str, wire: bytes) -> None:
    assert utf7.encode(name) == wire
    assert utf7.decode(wire) == name


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_decode_undoes_encode_for_any_name(name: str) -> None:
    assert utf7.decode(utf7.encode(name)) == name


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_it_spells_names_as_imapclient_does(name: str) -> None:
    assert utf7.encode(name) == imap_utf7.encode(name)


@pytest.mark.parametrize(
    ("wire", "problem"),
    [
        (b"&i+J22A", "not closed"),
        (b"&i+J2-", "odd number of bytes"),
        (b"&i+J22A=-", "not closed"),  # "=" is not in modified base64
        (b"&i/J22A-", "not closed"),  # "/" is spelled "," in modified UTF-7
        (b"&AGE-", "printable ASCII"),  # "a" must be written directly
        (b"&i+J22B-", "stray bits"),
        (b"\xe8\xaf\xa2\xe7\x9b\x98", "not allowed"),  # raw UTF-8, as some servers send
        (b"&2D0-", "not valid UTF-16"),  # a lone high surrogate
        (b"&A-", "dangling"),
    ],
)
def test_it_refuses_what_is_not_modified_utf7(wire: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        utf7.decode(wire)


def test_a_name_a_server_sent_as_raw_utf8_is_still_shown_readably() -> None:
    assert decode_name("询盘".encode()) == "询盘"


def test_inbox_is_inbox_in_any_case() -> None:
    assert decode_name(b"inbox") == "INBOX"
