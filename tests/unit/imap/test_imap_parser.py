"""The streaming response parser: each kind of response, literals in any pieces, limits, malformed input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from imap_wire import all_cuts, feed_in_pieces, kinds, response_kinds

from mailwarden.imap import (
    Atom,
    BytesLiteral,
    ContinuationRequest,
    FileLiteral,
    IMAPParseError,
    ParserLimits,
    ResponseCode,
    ResponseParser,
    TaggedResponse,
    UntaggedResponse,
)

DATA = Path(__file__).with_name("data")


def parse(data: bytes, limits: ParserLimits | None = None) -> list[object]:
    return list(ResponseParser(limits).feed(data))


def parse_one(data: bytes) -> object:
    (response,) = parse(data)
    return response


def test_it_parses_a_tagged_refusal_with_its_code_and_exact_text() -> None:
    response = parse_one(b"A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")

    assert response == TaggedResponse(
        "A0001", "NO", ResponseCode("AUTHENTICATIONFAILED"), "Authentication failed."
    )


def test_status_text_in_gbk_is_read_as_the_server_meant_it() -> None:
    """Chinese providers answer a refused LOGIN in GBK; UTF-8 with replacement would lose every character."""
    line = "a1 NO 登录失败，请使用授权码登录\r\n".encode("gbk")
    (tagged,) = parse(line)
    assert isinstance(tagged, TaggedResponse)
    assert tagged.text == "登录失败，请使用授权码登录"


def test_status_text_that_is_neither_utf8_nor_gbk_keeps_what_it_can() -> None:
    (tagged,) = parse(b"a1 NO caf\xe9 \xff closed\r\n")
    assert isinstance(tagged, TaggedResponse)
    assert tagged.text == "caf\ufffd \ufffd closed"


def test_a_capability_code_holds_atoms() -> None:
    response = parse_one(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LITERAL+] Dovecot ready.\r\n")

    assert isinstance(response, UntaggedResponse)
    assert response.name == "OK"
    assert response.code == ResponseCode("CAPABILITY", (b"IMAP4rev1", b"AUTH=PLAIN", b"LITERAL+"))
    assert all(isinstance(arg, Atom) for arg in response.code.args)
    assert response.text == "Dovecot ready."


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"* OK [UIDVALIDITY 3] UIDs valid", ResponseCode("UIDVALIDITY", (3,))),
        (b"* OK [PERMANENTFLAGS (\\Seen \\*)] Ok", ResponseCode("PERMANENTFLAGS", ((b"\\Seen", b"\\*"),))),
        (
            b"A1 OK [COPYUID 38505 304,319:320 3956:3958] Done",
            ResponseCode("COPYUID", (38505, b"304,319:320", b"3956:3958")),
        ),
        (b"A1 OK [READ-WRITE] Select completed", ResponseCode("READ-WRITE")),
        (b'A1 NO [BADCHARSET (UTF-8 "GB 18030")] No', ResponseCode("BADCHARSET", ((b"UTF-8", b"GB 18030"),))),
        (b"* NO [alert] lower case", ResponseCode("ALERT")),
        # arguments that are not IMAP data are kept as one raw atom rather than lost
        (b"* OK [XVENDOR a)b] text", ResponseCode("XVENDOR", (b"a)b",))),
    ],
)
def test_response_codes_come_with_their_arguments(line: bytes, code: ResponseCode) -> None:
    response = parse_one(line + b"\r\n")

    assert isinstance(response, (TaggedResponse, UntaggedResponse))
    assert response.code == code


def test_untagged_responses_have_a_name_and_an_optional_number() -> None:
    exists, expunge, search = parse(b"* 12 EXISTS\r\n* 3 EXPUNGE\r\n* SEARCH 2 84 882\r\n")

    assert exists == UntaggedResponse("EXISTS", 12)
    assert expunge == UntaggedResponse("EXPUNGE", 3)
    assert search == UntaggedResponse("SEARCH", None, (2, 84, 882))


def test_a_fetch_holds_one_list_with_literals_inside() -> None:
    response = parse_one(b"* 3 FETCH (UID 9 FLAGS (\\Seen) BODY[] {5}\r\nhello RFC822.SIZE 5)\r\n")

    assert isinstance(response, UntaggedResponse)
    assert (response.name, response.number) == ("FETCH", 3)
    assert kinds(response.data) == kinds(
        ((Atom(b"UID"), 9, Atom(b"FLAGS"), (Atom(b"\\Seen"),), Atom(b"BODY[]"), BytesLiteral(b"hello"),
          Atom(b"RFC822.SIZE"), 5),)
    )  # fmt: skip


def test_a_section_with_spaces_and_a_partial_is_one_atom() -> None:
    response = parse_one(b"* 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)]<0> {2}\r\nhi)\r\n")

    assert isinstance(response, UntaggedResponse)
    assert response.data[0] == (b"BODY[HEADER.FIELDS (FROM SUBJECT)]<0>", b"hi")


def test_continuations_keep_their_raw_text() -> None:
    challenge, bare, idling = parse(b"+ eyJzdGF0dXMiOiI0MDEifQ==\r\n+\r\n+ idling\r\n")

    assert challenge == ContinuationRequest(b"eyJzdGF0dXMiOiI0MDEifQ==")
    assert bare == ContinuationRequest(b"")
    assert idling == ContinuationRequest(b"idling")


def test_human_text_is_never_read_as_data() -> None:
    ok, no = parse(b'* OK see {5}\r\nA1 NO (unbalanced [ and "quote\r\n')

    assert ok == UntaggedResponse("OK", text="see {5}")
    assert no == TaggedResponse("A1", "NO", None, '(unbalanced [ and "quote')


def test_quoted_strings_lose_their_escapes_and_keep_8bit_bytes() -> None:
    response = parse_one(b'* LIST () "/" "a\\"b\\\\c \xe8\xaf\xa2\xe7\x9b\x98 \\x"\r\n')

    assert isinstance(response, UntaggedResponse)
    assert response.data[2] == b'a"b\\c \xe8\xaf\xa2\xe7\x9b\x98 \\x'  # an invalid escape stays as it came


def test_nil_is_none_but_a_quoted_nil_is_a_string() -> None:
    response = parse_one(b'* X NIL nil "NIL"\r\n')

    assert isinstance(response, UntaggedResponse)
    assert kinds(response.data) == kinds((None, None, b"NIL"))


def test_numbers_with_leading_zeros_or_too_many_digits_stay_atoms() -> None:
    response = parse_one(b"* X 0 007 123456789012345678901\r\n")

    assert isinstance(response, UntaggedResponse)
    assert kinds(response.data) == kinds((0, Atom(b"007"), Atom(b"123456789012345678901")))


def test_feeding_one_byte_at_a_time_gives_the_same_responses() -> None:
    data = (DATA / "dovecot_inbox.imap").read_bytes()
    whole = [response_kinds(r) for r in ResponseParser().feed(data)]

    pieces = feed_in_pieces(ResponseParser(), data, all_cuts(data))

    assert [response_kinds(r) for r in pieces] == whole
    assert len(whole) == 50


@pytest.mark.parametrize("marker", [b"{12}", b"{12+}", b"~{12}"])
def test_a_literal_marker_may_be_split_anywhere(marker: bytes) -> None:
    data = b"* 1 FETCH (BODY[] " + marker + b"\r\nhello\r\nworld)\r\n"
    expected = [response_kinds(r) for r in ResponseParser().feed(data)]
    assert expected == [
        response_kinds(UntaggedResponse("FETCH", 1, ((Atom(b"BODY[]"), BytesLiteral(b"hello\r\nworld")),)))
    ]

    for cut in all_cuts(data):
        got = feed_in_pieces(ResponseParser(), data, [cut])
        assert [response_kinds(r) for r in got] == expected, cut


def test_a_big_literal_is_spooled_to_a_file_and_hashed_on_the_way(tmp_path: Path) -> None:
    body = os.urandom(200_000)
    data = b"* 7 FETCH (UID 7 BODY[] {%d}\r\n" % len(body) + body + b")\r\n"
    parser = ResponseParser(ParserLimits(spill_threshold=64 * 1024, spool_dir=tmp_path))

    (response,) = feed_in_pieces(parser, data, range(0, len(data), 4093))

    assert isinstance(response, UntaggedResponse)
    literal = response.data[0][3]  # type: ignore[index]
    assert isinstance(literal, FileLiteral)
    assert literal.path.parent == tmp_path
    assert literal.size == len(body)
    assert literal.sha256 == hashlib.sha256(body).hexdigest()
    assert literal.read_bytes() == body
    literal.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_small_literal_is_bytes_with_the_same_interface() -> None:
    response = parse_one(b"* 1 FETCH (BODY[] {3}\r\nabc)\r\n")

    assert isinstance(response, UntaggedResponse)
    literal = response.data[0][1]  # type: ignore[index]
    assert isinstance(literal, BytesLiteral)
    assert (literal.path, literal.size, literal.sha256) == (None, 3, hashlib.sha256(b"abc").hexdigest())
    assert literal.open().read() == literal.read_bytes() == b"abc"


def test_a_literal_at_the_threshold_stays_in_memory_and_one_byte_more_does_not(tmp_path: Path) -> None:
    limits = ParserLimits(spill_threshold=4, spool_dir=tmp_path)
    response = parse_one_with(b"* X {4}\r\nabcd {5}\r\nabcde\r\n", limits)

    small, big = response.data
    assert isinstance(small, BytesLiteral)
    assert isinstance(big, FileLiteral)
    assert big.read_bytes() == b"abcde"


def parse_one_with(data: bytes, limits: ParserLimits) -> UntaggedResponse:
    (response,) = ResponseParser(limits).feed(data)
    assert isinstance(response, UntaggedResponse)
    return response


def test_a_bodystructure_nested_1000_deep_parses_without_recursion() -> None:
    depth = 1000
    inner = b'"text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 1 NIL NIL NIL NIL'
    # depth - 1 multiparts, each holding the next as its only part, around one text/plain leaf
    body = b"(" * depth + inner + b")" + b' "mixed")' * (depth - 1)
    data = b"* 1 FETCH (BODYSTRUCTURE " + body + b")\r\n"

    response = parse_one(data)

    assert isinstance(response, UntaggedResponse)
    node = response.data[0][1]  # type: ignore[index]
    levels = 1
    while isinstance(node, tuple) and isinstance(node[0], tuple):
        assert node[-1] == b"mixed"
        node = node[0]
        levels += 1
    assert levels == depth
    assert node[:2] == (b"text", b"plain")  # type: ignore[index]


def test_nesting_beyond_the_limit_is_a_parse_error() -> None:
    with pytest.raises(IMAPParseError, match="nested deeper than 50"):
        parse(b"* X " + b"(" * 60 + b")" * 60 + b"\r\n", ParserLimits(max_depth=50))


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"* 1 FETCH (UID 1\r\n", "not closed"),
        (b"* X a)\r\n", "without a matching"),
        (b'* X "no end\r\n', "not terminated"),
        (b"A1 MAYBE fine\r\n", "status"),
        (b"(garbage\r\n", "not an IMAP response"),
        (b"* \r\n", "no name"),
        (b"* X {3}abc\r\n", "not at the end"),
        (b"* X a\x00b\r\n", "unexpected"),
        (b"* X {99999999999999999999}\r\n", "absurdly long"),
    ],
)
def test_malformed_input_is_a_parse_error(data: bytes, detail: str) -> None:
    with pytest.raises(IMAPParseError) as caught:
        parse(data)

    assert detail in caught.value.detail
    assert caught.value.key == "imap.parse"
    assert caught.value.permanent


def test_an_endless_line_fails_before_it_ends() -> None:
    parser = ResponseParser(ParserLimits(max_line=1000))
    assert list(parser.feed(b"* SEARCH" + b" 1" * 400)) == []

    with pytest.raises(IMAPParseError, match="longer than 1000"):
        list(parser.feed(b" 1" * 200))


def test_a_literal_over_the_limit_is_refused_before_any_byte_of_it() -> None:
    with pytest.raises(IMAPParseError, match="over the limit"):
        parse(b"* 1 FETCH (BODY[] {1000001}\r\n", ParserLimits(max_literal=1_000_000))


def test_many_small_literals_cannot_exhaust_memory() -> None:
    data = b"* X (" + b"{100}\r\n" + b"x" * 100 + b" " * 0
    with pytest.raises(IMAPParseError, match="bytes of memory"):
        parse(data * 50, ParserLimits(max_memory=2000))


def test_after_an_error_the_parser_refuses_more_and_has_deleted_its_spool_files(tmp_path: Path) -> None:
    parser = ResponseParser(ParserLimits(spill_threshold=10, spool_dir=tmp_path))
    list(parser.feed(b"* 1 FETCH (BODY[] {20}\r\n" + b"a" * 20))
    assert len(list(tmp_path.iterdir())) == 1

    with pytest.raises(IMAPParseError):
        list(parser.feed(b" ))\r\n"))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IMAPParseError):
        parser.feed(b"* OK fine\r\n")


def test_close_deletes_the_file_of_a_half_received_literal(tmp_path: Path) -> None:
    parser = ResponseParser(ParserLimits(spill_threshold=10, spool_dir=tmp_path))
    list(parser.feed(b"* 1 FETCH (BODY[] {20}\r\n" + b"a" * 5))

    parser.close()

    assert list(tmp_path.iterdir()) == []


def test_idle_is_true_only_between_responses_with_nothing_buffered() -> None:
    parser = ResponseParser()
    assert parser.idle
    list(parser.feed(b"A1 OK done\r\n* OK inj"))
    assert not parser.idle
    list(parser.feed(b"ected\r\n"))
    assert parser.idle


def test_the_caller_may_stop_after_any_response_and_the_rest_stays_buffered() -> None:
    parser = ResponseParser()
    responses = parser.feed(b"A1 OK begin TLS\r\n* OK injected\r\n")

    first = next(responses)

    assert first == TaggedResponse("A1", "OK", None, "begin TLS")
    assert not parser.idle
