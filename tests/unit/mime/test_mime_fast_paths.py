"""Every shortcut the parser takes for common input gives exactly what its general path gives.

Each property runs the shortcut and the general path (kept in the code, or written out here as it was
before the shortcut) on generated input, and compares the values *and* the defects recorded on the way.
The generators mix the shapes a shortcut accepts with near misses (a tab, a folded line, 8-bit bytes, an
encoded-word, a control character), so both sides of every condition are reached.
"""

from __future__ import annotations

import re
from email.message import Message

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_mime_split import mime_message

from mailwarden.mime import parse as parse_module
from mailwarden.mime.addresses import _SIMPLE, Address, _parse_addresses, parse_addresses
from mailwarden.mime.dates import _parse_text, parse_date
from mailwarden.mime.defects import Defect, DefectLog
from mailwarden.mime.encoded_words import (
    _FOLD,
    _decode_header,
    _decode_words,
    decode_header,
    decode_words,
    unfold,
)
from mailwarden.mime.fields import _transfer_encoding, boundary_of, content_type, header_index
from mailwarden.mime.params import (
    _EXTENDED,
    _parse_header_value,
    _unquote,
    _unquote_escaped,
    parse_header_value,
)
from mailwarden.mime.parse import INTERESTING_HEADERS, parse_message
from mailwarden.mime.split import split

MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces of header values: plain text, blanks, line breaks, controls, 8-bit bytes (as compat32 holds
# them: surrogates), encoded-words good and bad
_PIECES = [
    "Microsoft Outlook 16.0",
    " ",
    "  ",
    "\t",
    "\r\n ",
    "\n\t",
    "\r",
    "\n",
    "\x00",
    "\x07",
    "\x7f",
    "\udce9",
    "\udcd6\udcd0",
    "é",
    "=?",
    "?=",
    "=?UTF-8?B?5a6B5rOi?=",
    "=?utf-8?Q?caf=C3=A9?=",
    "=?gb2312?B?sai827u1?=",
    "=?UTF-8?B?5a6B5rO",
    "=?x?q?=ZZ?=",
    "a",
    "Z",
    ";",
    '"',
    "=",
    ":",
]
header_values = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
    st.text(max_size=20),
)


def _defects(log: DefectLog) -> list[Defect]:
    return log.result()


# -- encoded_words ---------------------------------------------------------------------------------------


@MANY
@given(header_values, st.sampled_from([(), ("gb2312",), ("big5", "gbk")]))
@example("  plain text  ", ())
@example("tab\tinside", ())
@example("=?not a word", ())
def test_decode_header_shortcut_gives_the_general_result(value: str, hints: tuple[str, ...]) -> None:
    fast_log, general_log = DefectLog(), DefectLog()
    fast = decode_header(value, fast_log, "Subject", hints)
    general = _decode_header(value, general_log, "Subject", hints)
    assert (fast, _defects(fast_log)) == (general, _defects(general_log))


@MANY
@given(header_values)
@example("a\r\n b")
@example("a\rb")
def test_unfold_shortcut_gives_the_general_result(value: str) -> None:
    assert unfold(value) == _FOLD.sub("", value).replace("\r", "").replace("\n", "")


# -- split: the header index and the content type read from it --------------------------------------------


def _parts(msg: Message) -> list[Message]:
    found, stack = [], [msg]
    while stack:
        part = stack.pop()
        found.append(part)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
    return found


def _general_index(part: Message) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for key, value in part.raw_items():
        index.setdefault(key.strip().lower(), []).append(str(value))
    return index


_CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            b"text/plain",
            b"TEXT/Plain; charset=utf-8",
            b" multipart/mixed ; boundary=b",
            b"multipart/mixed;boundary=b",
            b"text",
            b"a/b/c",
            b"",
            b";",
            b"text/plain\r\n ; charset=x",
            b"text/pl\xe9in",
            b"message/rfc822",
        ]
    ),
    st.binary(max_size=12),
)


@st.composite
def messages_with_odd_types(draw: st.DrawFn) -> bytes:
    """A few parts whose Content-Type and Content-Transfer-Encoding are anything, repeated or absent."""
    lines = []
    for _ in range(draw(st.integers(0, 2))):
        lines.append(b"Content-Type: " + draw(_CONTENT_TYPES))
    if draw(st.booleans()):
        lines.append(
            b"Content-Transfer-Encoding: " + draw(st.sampled_from([b"7bit", b"BASE64", b"\xe9", b""]))
        )
    lines.insert(0, b"Content-Type: multipart/mixed; boundary=b")
    body = b""
    for _ in range(draw(st.integers(0, 2))):
        body += b"--b\r\n" + b"\r\n".join(lines[1:]) + b"\r\n\r\nx\r\n"
    return b"\r\n".join(lines[: draw(st.integers(1, len(lines)))]) + b"\r\n\r\n" + body + b"--b--\r\n"


@MANY
@given(st.one_of(mime_message(), messages_with_odd_types()))
@example(b"Content-Type: text/plain\r\ncontent-type: text/html\r\n\r\nx")
@example(b"Content-Type: TEXT/\xe9\r\n\r\nx")
def test_the_index_and_types_split_gives_are_the_stdlib_ones(raw: bytes) -> None:
    for part in _parts(split(raw, max_depth=40, max_parts=2000).message):
        assert header_index(part) == _general_index(part)
        assert content_type(part) == Message.get_content_type(part)
        assert _transfer_encoding(part) == str(part.get("content-transfer-encoding", "8bit"))


# -- parse: interesting headers found from the message's own names -----------------------------------------


@st.composite
def messages_with_interesting_headers(draw: st.DrawFn) -> bytes:
    names = [*INTERESTING_HEADERS, "X-Other", "Received", "Subject"]
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from(names))
        if draw(st.booleans()):
            name = name.upper()
        value = draw(header_values).replace("\r", "").replace("\n", "")
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    return b"\r\n".join(lines) + b"\r\n\r\nbody\r\n"


def _general_headers(raw: bytes) -> tuple[dict[str, list[str]], list[Defect]]:
    """``ParsedMessage.headers`` as the loop over INTERESTING_HEADERS made it, with its defects."""
    message = split(raw, max_depth=40, max_parts=2000).message
    hints: list[str] = []
    log = DefectLog()
    headers: dict[str, list[str]] = {}
    for name in INTERESTING_HEADERS:
        values = _general_index(message).get(name, [])
        if values:
            headers[name] = [_decode_header(value, log, name, hints) for value in values]
    return headers, log.result()


@MANY
@given(messages_with_interesting_headers())
def test_interesting_headers_come_out_in_the_same_order_with_the_same_defects(raw: bytes) -> None:
    parsed = parse_message(raw)
    general, defects = _general_headers(raw)
    assert list(parsed.headers.items()) == list(general.items())
    header_defects = [d for d in parsed.defects if d.detail.split(":")[0] in parse_module._INTERESTING]
    assert header_defects == [d for d in defects if d.kind != "internal"]


# -- dates -------------------------------------------------------------------------------------------------


def _mostly(draw: st.DrawFn, usual: list[str], odd: list[str]) -> str:
    """Usually one of ``usual``, one time in six one of ``odd``: most dates reach the shortcut."""
    return draw(st.sampled_from(odd if draw(st.integers(0, 5)) == 0 else usual))


@st.composite
def dates(draw: st.DrawFn) -> str:
    """RFC 5322 dates, right and nearly right: impossible days and hours, odd years and zones, other
    spellings, extra blanks, zone names and comments."""
    day_name = _mostly(draw, ["", "Sat, ", "Mon, "], ["Sat,", "sat, ", "Foo, ", "Sat "])
    day = _mostly(draw, ["1", "01", "20", "31"], ["0", "32", "99", "x", "001"])
    month = _mostly(draw, ["Sep", "Feb", "Dec"], ["sep", "SEP", "Sept", "13"])
    year = _mostly(draw, ["2025", "1999", "1000", "9999"], ["0050", "0000", "0999", "25", "99", "20255"])
    clock = _mostly(draw, ["12:15:25", "00:00:00", "23:59:59"], ["24:00:00", "12:60:00", "12:00:60", "12:15"])
    clock = _mostly(draw, [clock], ["12.15.25", "7:05:09"])
    zone = _mostly(
        draw, ["+0800", "-0000", "+0000", "-0130", "-0800", "+2359"], ["+2400", "+9999", "+0860", "-2400"]
    )
    zone = _mostly(draw, [zone], ["GMT+0800", "+08:00", "CST", "", zone + " (CST)", "UT", "z"])
    blank = _mostly(draw, [" "], ["  ", "\t", "\r\n "])
    return blank.join(part for part in (day_name + day, month, year, clock, zone) if part)


@MANY
@given(st.one_of(dates(), header_values))
@example("Sat, 20 Sep 2025 12:15:25 +0800")
@example("20 Sep 0050 12:15:25 +0800")
@example("31 Feb 2025 12:15:25 +0800")
@example("20 Sep 2025 12:15:25 +2400")
def test_the_rfc5322_date_shortcut_gives_the_general_result(value: str) -> None:
    fast_log, general_log = DefectLog(), DefectLog()
    fast = parse_date(value, fast_log)
    if value.strip():
        general = _parse_text(" ".join(value.split()), general_log)
    else:
        general = parse_date(value, general_log)
    assert fast == general
    assert (fast is None) or (fast.utcoffset() == general.utcoffset())  # == alone ignores the zone
    assert _defects(fast_log) == _defects(general_log)


# -- params ------------------------------------------------------------------------------------------------


@MANY
@given(st.text(alphabet='a" \t\\;=\udce9', max_size=20))
@example('"abc"def"')
@example('"never closed')
def test_unquoting_without_escapes_gives_the_character_loop_result(value: str) -> None:
    stripped = value.strip()
    general = _unquote_escaped(stripped) if stripped.startswith('"') else stripped
    assert _unquote(value) == general


@MANY
@given(st.lists(st.sampled_from(["name", "*", "0", "1", "filename", "x", " ", "="]), max_size=5).map("".join))
def test_a_parameter_name_without_a_star_is_never_an_rfc2231_one(name: str) -> None:
    if "*" not in name:
        assert _EXTENDED.fullmatch(name) is None


# -- split: the boundary parameter -------------------------------------------------------------------------

_TYPE_PIECES = [
    "multipart/mixed",
    "Multipart/Alternative",
    "boundary",
    "BOUNDARY",
    " ",
    "\t",
    ";",
    "=",
    '"',
    "<",
    ">",
    "'",
    "b",
    "x y",
    "----=_Part_0_a56d7250574f_alt",
    "charset",
    "*",
    "\\",
    "é",
    "\udce9",
]


@st.composite
def content_types(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["multipart/mixed", "text/plain", "boundary", "a=b", '"q"', ""]))
    pieces = st.lists(st.sampled_from(_TYPE_PIECES), max_size=10).map("".join)
    usual = st.builds(
        lambda name, quote, value, end: f"{name}={quote}{value}{quote}{end}",
        st.sampled_from(["boundary", " Boundary ", "BOUNDARY", "boundar", "charset"]),
        st.sampled_from(["", '"', "'"]),
        pieces,
        st.sampled_from(["", " ", "  \t"]),
    )
    params = draw(st.lists(st.one_of(usual, pieces), max_size=4))
    return ";".join([head, *params])


@MANY
@given(content_types())
@example('multipart/mixed; boundary="a;b"; boundary=c')
@example('multipart/mixed; boundary="<x>"')
@example("multipart/mixed; boundary")
@example('multipart/mixed; charset="x; boundary=y')
@example("boundary; boundary=x")
def test_the_boundary_shortcut_gives_the_stdlib_boundary(value: str) -> None:
    raw = ("Content-Type: " + value).encode("utf-8", "surrogateescape") + b"\r\n\r\n"
    msg = split(raw, max_depth=40, max_parts=2000).message
    assert boundary_of(msg) == Message.get_boundary(msg)


# -- addresses: the simple-shape expression ----------------------------------------------------------------

_OLD_ADDR = r"[^\s<>()\[\]\\,;:@\"]+@[^\s<>()\[\]\\,;:@\"]+"
#: the expression before its repeats were made possessive
_OLD_SIMPLE = re.compile(
    rf"""\s*(?:(?P<bare>{_OLD_ADDR})|(?:"(?P<quoted>[^"\\]*)"|(?P<plain>[^<>()\[\]\\,;:@"]*?))\s*<(?P<addr>{_OLD_ADDR})>)\s*"""
)


def _pair(match: re.Match[str] | None) -> tuple[str, str] | None:
    """What _simple_pairs takes from a match."""
    if match is None:
        return None
    if match["bare"] is not None:
        return "", match["bare"]
    name = match["quoted"] if match["quoted"] is not None else " ".join(match["plain"].split())
    return name, match["addr"]


_ADDRESS_PIECES = [
    "a",
    "b.c",
    "@",
    "<",
    ">",
    '"',
    " ",
    "\t",
    "\u3000",
    "=?UTF-8?B?5a6B?=",
    "张",
    ",",
    "(",
    "\\",
    ":",
]


_address_noise = st.one_of(
    st.lists(st.sampled_from(["a", " ", "\t", "\u3000", "=?UTF-8?B?5a6B?=", "张", "b.c"]), max_size=6).map(
        "".join
    ),
    st.lists(st.sampled_from(_ADDRESS_PIECES), max_size=3).map("".join),
)
_address_texts = st.one_of(
    st.lists(st.sampled_from(_ADDRESS_PIECES), max_size=14).map("".join),
    st.builds(lambda *parts: "".join(parts), _address_noise, st.just("<a@b.c>"), _address_noise),
    st.builds(lambda *parts: "".join(parts), _address_noise, st.just("a@b"), _address_noise),
    st.builds(
        lambda *parts: "".join(parts), st.just('"'), _address_noise, st.just('" <a@b>'), _address_noise
    ),
    st.builds(
        lambda name, blank: f'"{name}"{blank}<a@b>',
        st.lists(st.sampled_from(_ADDRESS_PIECES), max_size=5).map("".join),
        st.sampled_from(["", " ", "\t "]),
    ),
)


@MANY
@given(_address_texts)
@example(' "Name" <a@b> ')
@example('"a\\\\" <a@b>')
@example("Name  \t <a@b>")
@example("a@b")
def test_the_possessive_simple_address_expression_matches_as_before(text: str) -> None:
    assert _pair(_SIMPLE.fullmatch(text)) == _pair(_OLD_SIMPLE.fullmatch(text))


# -- encoded_words: a run of B-words -----------------------------------------------------------------------

_WORD_PIECES = [
    "=?UTF-8?B?5a6B5rOi?=",
    "=?UTF-8?B?5rW35aSp?=",
    "=?utf-8?B?5rW35aSp?=",
    "=?UTF-8?b?5aSp?=",
    "=?UTF-8?B?5aSp6Q==?=",
    "=?UTF-8?B?5aSp6Q=?=",
    "=?UTF-8?B?5aSp6?=",
    "=?UTF-8?B?5a 6B?=",
    "=?UTF-8?B??=",
    "=?UTF-8?B?w6k=?=",
    "=?UTF-8?Q?caf=C3=A9?=",
    "=?gb2312?B?sai827u1?=",
    "=?gb2312?B?sai8?=",
    "=??B?YWJj?=",
    "=?iso-8859-1?B?6Q==?=",
    "=?UTF-8?B?5a6B",
    "=?",
    " ",
    "\t",
    "  ",
    "Re: ",
    "x",
]


@MANY
@given(st.lists(st.sampled_from(_WORD_PIECES), min_size=1, max_size=6).map("".join))
@example("=?UTF-8?B?5a6B5rOi?= =?UTF-8?B?5rW35aSp?=")
@example("=?UTF-8?B?5a6B5rOi?= =?UTF-8?B?5a6B")
@example("=?UTF-8?B?5a6B5rOi?==?utf-8?B?5rW35aSp?=")
def test_a_run_of_b_words_gives_what_the_general_decoder_gives(text: str) -> None:
    fast_log, general_log = DefectLog(), DefectLog()
    fast = decode_words(text, fast_log, "Subject", ("gb2312",))
    general = _decode_words(text, general_log, "Subject", ("gb2312",))
    assert (fast, _defects(fast_log)) == (general, _defects(general_log))


# -- addresses: remembered headers -------------------------------------------------------------------------

_header_occurrences = st.lists(
    st.one_of(
        _address_texts,
        st.lists(
            st.sampled_from([*_WORD_PIECES, *_ADDRESS_PIECES, "\udce9", "xn--fsqu00a.xn--fiqs8s", ", "])
        ).map("".join),
    ),
    min_size=1,
    max_size=3,
)


@MANY
@given(_header_occurrences, st.sampled_from([(), ("gb2312",)]), st.sampled_from([200, 1]))
@example(["a@b", "a@b"], (), 200)
@example(["x" * 1001], (), 200)
@example(["".join(f"=?{'xy'[i % 2]}?B?a?=" for i in range(110)) + "<a@b>"], (), 200)  # 220 defects
def test_remembered_addresses_are_the_addresses_parsed_anew(
    values: list[str], hints: tuple[str, ...], limit: int
) -> None:
    general_log = DefectLog(limit)
    general = _parse_addresses(values, general_log, "To", hints)
    for _ in range(2):  # the first call may fill the cache, the second reads it
        log = DefectLog(limit)
        found = parse_addresses(values, log, "To", hints)
        assert (found, _defects(log)) == (general, _defects(general_log))
        found.append(Address("changed", "by@the.caller"))  # a list of its own: the cache is untouched


# -- params: remembered values -----------------------------------------------------------------------------

_PARAM_PIECES = [
    "attachment",
    "text/plain",
    "; ",
    ";",
    "filename=",
    "name=",
    "filename*=utf-8''%E6%8A%A5.pdf",
    "filename*0*=utf-8''%E6",
    "filename*1*=%8A%A5",
    "filename*1*=%8A%A5",
    '"=?UTF-8?B?5oql5Lu3?="',
    '"a\\\\"b"',
    "charset=gb2312",
    " charset=utf-8",
    "\udcb1\udca8",
    "=",
    '"',
]


@MANY
@given(
    st.one_of(content_types(), st.lists(st.sampled_from(_PARAM_PIECES), max_size=8).map("".join)),
    st.sampled_from(["part 1 Content-Type", "part 2"]),
    st.sampled_from([(), ("gb2312",)]),
    st.sampled_from([200, 1]),
)
@example("x" * 1001, "part 1", (), 200)
@example(
    ("x/y; a=" + "".join(f"=?{'xy'[i % 2]}?B?a!?=" for i in range(99))), "part 1", (), 200
)  # 297 defects
def test_remembered_header_values_are_the_values_parsed_anew(
    raw: str, where: str, hints: tuple[str, ...], limit: int
) -> None:
    general_log = DefectLog(limit)
    general = _parse_header_value(raw, general_log, where, hints)
    for _ in range(2):  # the first call may fill the cache, the second reads it
        log = DefectLog(limit)
        parsed = parse_header_value(raw, log, where, hints)
        assert (parsed, _defects(log)) == (general, _defects(general_log))
        parsed.params["changed"] = "by the caller"  # a dict of its own: the cache is untouched
