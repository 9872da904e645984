"""Encoding commands: quoting, literals in the three modes, what may not be sent, and the trace text."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import InputError
from mailwarden.imap.commands import Raw, TagGenerator, encode_command

PASSWORD_ZH = "邮箱密码2026"


def test_ascii_strings_are_quoted_with_escapes() -> None:
    encoded = encode_command("A1", "LOGIN", ["sales@example.test", 'pa"ss\\word'])

    assert encoded.chunks == (b'A1 LOGIN "sales@example.test" "pa\\"ss\\\\word"\r\n',)


def test_a_non_ascii_password_is_a_synchronising_literal_without_literal_plus() -> None:
    data = PASSWORD_ZH.encode()

    encoded = encode_command("A1", "LOGIN", ["u", PASSWORD_ZH])

    assert encoded.chunks == (b'A1 LOGIN "u" {%d}\r\n' % len(data), data + b"\r\n")


def test_literal_plus_sends_it_all_at_once() -> None:
    data = PASSWORD_ZH.encode()

    encoded = encode_command("A1", "LOGIN", ["u", PASSWORD_ZH], literal_mode="plus")

    assert encoded.chunks == (b'A1 LOGIN "u" {%d+}\r\n' % len(data) + data + b"\r\n",)


def test_literal_minus_is_non_synchronising_only_up_to_4096_bytes() -> None:
    small = encode_command("A1", "APPEND", [Raw(b"INBOX"), b"\x80" * 4096], literal_mode="minus")
    big = encode_command("A1", "APPEND", [Raw(b"INBOX"), b"\x80" * 4097], literal_mode="minus")

    assert len(small.chunks) == 1
    assert b"{4096+}" in small.chunks[0]
    assert len(big.chunks) == 2
    assert big.chunks[0].endswith(b"{4097}\r\n")


@pytest.mark.parametrize("value", [b"line\r\nbreak", b"x" * 1001, "é"])
def test_what_cannot_be_quoted_becomes_a_literal(value: bytes | str) -> None:
    encoded = encode_command("A1", "X", [value])

    assert len(encoded.chunks) == 2


def test_numbers_nil_raw_atoms_and_nested_lists() -> None:
    encoded = encode_command(
        "A7", "uid fetch", [Raw(b"1:*"), [Raw(b"FLAGS"), [Raw(b"BODY.PEEK[]")]], None, 0]
    )

    assert encoded.chunks == (b"A7 UID FETCH 1:* (FLAGS (BODY.PEEK[])) NIL 0\r\n",)


@pytest.mark.parametrize(
    "args",
    [[b"nul\x00byte"], [Raw(b"A\r\nB2 DELETE INBOX")], [-1], [True]],
    ids=["nul", "raw-injection", "negative", "bool"],
)
def test_what_may_not_be_sent_is_refused(args: list[object]) -> None:
    with pytest.raises(InputError) as caught:
        encode_command("A1", "X", args)  # type: ignore[arg-type]

    assert caught.value.key == "imap.argument"


def test_a_command_name_cannot_smuggle_arguments() -> None:
    with pytest.raises(InputError):
        encode_command("A1", "NOOP\r\nA2 LOGOUT", [])


def test_the_trace_shows_literal_sizes_never_their_contents() -> None:
    encoded = encode_command("A1", "APPEND", [Raw(b"Sent"), b"secret body \x80"])

    assert encoded.trace == "A1 APPEND Sent {13 bytes}"


def test_tags_are_unique_and_ordered() -> None:
    tags = TagGenerator()

    assert [next(tags) for _ in range(3)] == ["A0001", "A0002", "A0003"]
