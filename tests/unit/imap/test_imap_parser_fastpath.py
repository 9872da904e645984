"""The parser's fast paths give exactly what its general scan gives, on the common FETCH and on odd input.

The fast paths (``NAME value`` pairs in one regular-expression match, ``BODY[] {n}`` at the end of a run, a
literal taken whole when it has fully arrived) are switched off in :class:`GeneralParser`; every test here
feeds the same bytes to both and compares values *with their exact Python types* (an ``Atom`` is not a
quoted ``bytes``, a ``BytesLiteral`` is not a quoted string), or the same error.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imap_wire import all_cuts

from mailwarden.imap import (
    Atom,
    BytesLiteral,
    FileLiteral,
    IMAPParseError,
    ParserLimits,
    ResponseParser,
    UntaggedResponse,
)


class GeneralParser(ResponseParser):
    """The reference: the token-by-token scan and the literal sink only."""

    _fast_path = False


def exact(value: object) -> object:
    """A value with its exact type at every level; file literals are read and deleted."""
    if isinstance(value, FileLiteral):
        data = value.read_bytes()
        value.discard()
        return ("FileLiteral", data)
    if isinstance(value, tuple):
        return ("tuple", [exact(item) for item in value])
    if isinstance(value, UntaggedResponse):
        return ("untagged", value.name, value.number, exact(value.data), value.code, value.text)
    return (type(value).__name__, value)


def outcome(parser: ResponseParser, data: bytes, cuts: list[int]) -> tuple[list[object], str | None]:
    """Every response parsed (exact, in order), and the parse error if one came after them."""
    got: list[object] = []
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    try:
        for start, end in itertools.pairwise(bounds):
            got.extend(exact(response) for response in parser.feed(data[start:end]))
    except IMAPParseError as exc:
        parser.close()
        return got, str(exc)
    return got, None


def both(
    data: bytes, *, cuts: list[int] | range = (), spill: int = 1 << 20, **limits: int
) -> tuple[list[object], str | None]:
    """Parse ``data`` with the fast paths (cut at ``cuts``) and without (whole); they must agree."""
    with tempfile.TemporaryDirectory() as spool:
        settings = ParserLimits(spill_threshold=spill, spool_dir=Path(spool), **limits)
        fast = outcome(ResponseParser(settings), data, list(cuts))
        general = outcome(GeneralParser(settings), data, [])
        assert fast == general
        assert list(Path(spool).iterdir()) == []
    return fast


DOVECOT = (
    b'* 1 FETCH (UID 1 FLAGS (\\Recent) INTERNALDATE "27-Nov-2026 08:32:00 +0000" RFC822.SIZE 11 '
    b"MODSEQ (2) BODY[] {11}\r\nhello\r\nyou!)\r\n"
    b'* 2 FETCH (UID 7 FLAGS () INTERNALDATE "01-Jan-2025 00:00:00 -0130" RFC822.SIZE 0 MODSEQ (9) '
    b"BODY[] {0}\r\n)\r\n"
    b"a1 OK Fetch completed.\r\n"
)


def test_a_dovecot_fetch_parses_the_same_cut_at_every_byte() -> None:
    responses, error = both(DOVECOT, cuts=all_cuts(DOVECOT))
    assert error is None and len(responses) == 3
    parsed = list(ResponseParser().feed(DOVECOT))
    first = parsed[0]
    assert isinstance(first, UntaggedResponse)
    assert first.data == (
        (
            Atom(b"UID"), 1, Atom(b"FLAGS"), (Atom(b"\\Recent"),), Atom(b"INTERNALDATE"),
            b"27-Nov-2026 08:32:00 +0000", Atom(b"RFC822.SIZE"), 11, Atom(b"MODSEQ"), (2,),
            Atom(b"BODY[]"), BytesLiteral(b"hello\r\nyou!"),
        ),
    )  # fmt: skip
    assert type(first.data[0][5]) is bytes and type(first.data[0][11]) is BytesLiteral


@pytest.mark.parametrize(
    "line",
    [
        b"* 1 FETCH (NIL 1 nil (a) Nil NIL)",  # NIL is never a name atom, always None
        b"* 1 FETCH (UID 007 X 0 Y 00 Z 123456789012345678901 W 99999999999999999999)",  # 0-led, 21 digits
        b'* 1 FETCH (A "x\\"y" B "" C "\\\\" D "a b (c)")',  # escapes, empty, parens inside quotes
        b"* 1 FETCH (FLAGS (\\Seen  $X   \\*) L ( ) M () N (NIL nil 12 012))",  # spaces, NIL, numbers
        b"* 1 FETCH (FLAGS (a (b)) L ((c)) M (d [e]) N (f] g) O (~h {i))",  # nesting and odd bytes in lists
        b"* 1 FETCH (A b]c D e[f] G h{i} J ~k L %* M \\\\x)",  # odd atoms as values
        b'* 1 FETCH (A 1B C 2(3) D 4"5" E x(y) F "q"r)',  # tokens that run into each other
        b"* 1 FETCH (A  1 B\t2 C 3 )",  # double space, a tab
        b'* 1 FETCH (X-GM-LABELS (\\Inbox "\\\\Sent" foo) EMAILID (M6d99) THREADID NIL)',
        b'* 1 FETCH (A \xe4\xb8\xad B (\xe4 \xb8) C "\xff")',  # 8-bit atoms and strings
        b"* STATUS INBOX (MESSAGES 3 UIDNEXT 9 HIGHESTMODSEQ 18446744073709551615)",
        b"* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN ID ENABLE IDLE",
        b"* OK [PERMANENTFLAGS (\\Answered \\*)] Flags permitted.",
        b"* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {3}\r\nabc BODY[]<0> {2}\r\nde UID 5)",
        b"* 1 FETCH (UID 5 BODY[1.MIME] ~{3}\r\n\x00\x01\x02 UID 6 BINARY[1] {1+}\r\nz)",
        b"* 1 FETCH (UID 5 BODY[] {3} X)",  # a literal marker not at the end: an error either way
        b"* 1 FETCH (UID 5 BODY[] {12345678901234567890}",  # an absurd literal size: an error either way
        b"* 1 FETCH (UID 5 FLAGS (a)",  # an unclosed list: an error either way
        b"* 1 FETCH (UID 5 FLAGS (a)))",  # a stray ')': an error either way
        b'* 1 FETCH (UID 5 A "unterminated)',
    ],
)
def test_odd_lines_parse_the_same_with_and_without_the_fast_path(line: bytes) -> None:
    data = line + b"\r\n"
    both(data, cuts=all_cuts(data))


def test_the_depth_limit_holds_for_a_pair_list() -> None:
    # A flat list in a pair is one level deeper: at the limit, both must refuse it.
    for depth in (1, 2, 3):
        _, error = both(b"* 1 FETCH (UID 5 FLAGS (a))\r\n", max_depth=depth)
        assert (error is None) == (depth >= 2)


# --- generated FETCH responses, written as bytes so that odd spacing and odd bytes get in too -----------

_ODD = "aZ09.-_\\*%$~{}[]<>+:,'!#&\xe4 \"()"
names = st.one_of(
    st.sampled_from(
        ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "MODSEQ", "EMAILID", "THREADID", "X-GM-LABELS"]
    ),
    st.sampled_from(["NIL", "nil", "A1", "1A", "BODY[]", "BODY[HEADER]<0>", "X.Y-Z"]),
    st.text("aZ09.-_\\[]", min_size=1, max_size=6),
).map(lambda t: t.encode())
numbers = st.one_of(
    st.integers(0, 2**64).map(lambda n: str(n).encode()),
    st.sampled_from([b"007", b"0", b"00", b"1" * 20, b"9" * 21]),
)
atoms = st.one_of(
    st.sampled_from([b"\\Seen", b"\\Recent", b"$Forwarded", b"NIL", b"nil", b"\\*", b"a]b", b"x[y]"]),
    st.text(
        _ODD.replace(" ", "").replace('"', "").replace("(", "").replace(")", ""), min_size=1, max_size=5
    ).map(lambda t: t.encode()),
)
quoted = st.text(_ODD, max_size=12).map(
    lambda t: b'"' + t.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
)
spaces = st.sampled_from([b" ", b" ", b" ", b"  ", b""])
flat_lists = st.tuples(st.lists(st.one_of(atoms, numbers), max_size=4), spaces).map(
    lambda p: b"(" + p[1].join(p[0]) + b")"
)
literals = st.binary(max_size=40).map(lambda b: b"{%d}\r\n%s" % (len(b), b))
simple = st.one_of(numbers, atoms, quoted, flat_lists, st.sampled_from([b"NIL", b"nil", b"()"]))
values = st.one_of(
    simple,
    literals,
    st.lists(simple, max_size=3).map(lambda items: b"(" + b" ".join(items) + b")"),  # nested
)
items = st.lists(st.tuples(names, spaces, values), max_size=8)


def fetch_line(number: int, pairs: list[tuple[bytes, bytes, bytes]], tail: bytes) -> bytes:
    body = b" ".join(name + space + value for name, space, value in pairs)
    return b"* %d FETCH (%s)%s\r\n" % (number, body, tail)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(
        st.tuples(st.integers(1, 10**6), items, st.sampled_from([b"", b"", b" ", b")"])), max_size=4
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=4000), max_size=12),
    spill=st.sampled_from([1 << 20, 8, 0]),
)
def test_generated_fetches_parse_the_same_with_and_without_the_fast_path(
    batch: list[tuple[int, list[tuple[bytes, bytes, bytes]], bytes]], cuts: list[int], spill: int
) -> None:
    data = b"".join(fetch_line(*response) for response in batch) + b"a1 OK done\r\n"
    both(data, cuts=cuts, spill=spill)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=items, body=st.binary(max_size=30))
def test_a_fetch_with_a_body_cut_at_every_position_parses_the_same(
    pairs: list[tuple[bytes, bytes, bytes]], body: bytes
) -> None:
    """The literal at the end of the run, split across reads at every byte (sink) or whole (taken at once)."""
    line = fetch_line(7, [*pairs, (b"BODY[]", b" ", b"{%d}\r\n%s" % (len(body), body))], b"")
    both(line, cuts=all_cuts(line))
