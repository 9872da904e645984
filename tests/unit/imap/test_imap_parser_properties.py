"""Properties: any response a server may send, cut into any pieces, parses back to what was sent."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imap_wire import feed_in_pieces, response_kinds, serialise_response

from mailwarden.imap import (
    Atom,
    BytesLiteral,
    ContinuationRequest,
    IMAPParseError,
    ParserLimits,
    Response,
    ResponseCode,
    ResponseParser,
    TaggedResponse,
    UntaggedResponse,
    Value,
)

_ATOM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_=+:,\\*&!#$'"


def _is_plain_atom(text: str) -> bool:
    # digits read back as numbers and NIL as None: those are not atoms on the wire
    return not text.isdigit() and text.upper() != "NIL" and not text[0].isdigit()


atoms = st.text(_ATOM_CHARS, min_size=1, max_size=12).filter(_is_plain_atom).map(lambda t: Atom(t.encode()))
sections = st.sampled_from(
    [
        b"BODY[]",
        b"BODY[HEADER.FIELDS (FROM TO)]",
        b"BODY[1.2.MIME]<0>",
        b"BINARY[1]",
        b"BODY.PEEK[TEXT]<10.20>",
    ]
).map(Atom)
numbers = st.integers(min_value=0, max_value=2**63 - 1)
# quoted strings may hold any byte but CR, LF and NUL; literals hold anything at all
quoted = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b""))
literals = st.binary(max_size=300).map(BytesLiteral)
scalars: st.SearchStrategy[Value] = st.one_of(st.none(), numbers, atoms, sections, quoted, literals)
values: st.SearchStrategy[Value] = st.recursive(
    scalars, lambda children: st.lists(children, max_size=6).map(tuple), max_leaves=40
)
names = st.sampled_from(
    ["FETCH", "LIST", "STATUS", "SEARCH", "ESEARCH", "VANISHED", "QUOTA", "ID", "XVENDOR"]
)
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"), max_size=30
).filter(lambda t: not t.startswith(("[", " ")) and t == t.rstrip(" "))
code_args = st.lists(st.one_of(numbers, atoms, quoted, st.lists(atoms, max_size=4).map(tuple)), max_size=4)
codes = st.one_of(
    st.none(),
    st.builds(
        ResponseCode, st.sampled_from(["ALERT", "UIDVALIDITY", "CAPABILITY", "X-ONE"]), code_args.map(tuple)
    ),
)

untagged_data = st.builds(
    UntaggedResponse, names, st.none() | st.integers(0, 10**9), st.lists(values, max_size=5).map(tuple)
)
fetches = st.builds(
    lambda n, items: UntaggedResponse("FETCH", n, (tuple(items),)),
    st.integers(1, 10**6),
    st.lists(values, max_size=8),
)
untagged_status = st.builds(
    lambda name, code, text: UntaggedResponse(name, code=code, text=text),
    st.sampled_from(["OK", "NO", "BAD", "BYE", "PREAUTH"]),
    codes,
    texts,
)
tagged = st.builds(
    TaggedResponse,
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True),
    st.sampled_from(["OK", "NO", "BAD"]),
    codes,
    texts,
)
continuations = st.builds(ContinuationRequest, st.from_regex(rb"[A-Za-z0-9+/=]{0,40}", fullmatch=True))
responses: st.SearchStrategy[Response] = st.one_of(
    untagged_data, fetches, untagged_status, tagged, continuations
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(responses, min_size=1, max_size=6),
    cuts=st.lists(st.integers(min_value=1, max_value=20_000), max_size=30),
    spill=st.sampled_from([0, 16, 64 * 1024]),
)
def test_any_response_cut_anywhere_parses_back_to_itself(
    batch: list[Response], cuts: list[int], spill: int
) -> None:
    data = b"".join(serialise_response(r) for r in batch)
    with tempfile.TemporaryDirectory() as spool:
        parser = ResponseParser(ParserLimits(spill_threshold=spill, spool_dir=Path(spool)))

        parsed = feed_in_pieces(parser, data, cuts)

        assert [response_kinds(r) for r in parsed] == [response_kinds(r) for r in batch]
        assert parser.idle
        assert list(Path(spool).iterdir()) == []  # response_kinds read and discarded every spooled literal


@settings(max_examples=300, deadline=None)
@given(garbage=st.lists(st.binary(max_size=60), max_size=8))
def test_arbitrary_bytes_give_responses_or_a_parse_error_and_nothing_else(garbage: list[bytes]) -> None:
    parser = ResponseParser(ParserLimits(max_line=200, max_literal=500, max_depth=20, max_memory=2000))
    with contextlib.suppress(IMAPParseError):
        for chunk in garbage:
            for response in parser.feed(chunk):
                assert isinstance(response, (TaggedResponse, UntaggedResponse, ContinuationRequest))
    parser.close()
