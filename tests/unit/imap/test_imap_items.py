"""Decoding FETCH items, dates, flags, events and the EXAMINE answer, without a socket."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mailwarden.imap import (
    Atom,
    BytesLiteral,
    Exists,
    Expunge,
    FlagUpdate,
    ResponseCode,
    ResponseParser,
    TaggedResponse,
    UidSet,
    UntaggedResponse,
    Vanished,
)
from mailwarden.imap.events import to_event
from mailwarden.imap.items import (
    fetch_items,
    fetch_result,
    flags_of,
    format_internal_date,
    parse_internal_date,
    response_key,
)
from mailwarden.imap.selected import parse_select

CST = timezone(timedelta(hours=8))


def parse(*lines: bytes) -> list[UntaggedResponse]:
    out = list(ResponseParser().feed(b"".join(line + b"\r\n" for line in lines)))
    assert all(isinstance(r, UntaggedResponse) for r in out)
    return out  # type: ignore[return-value]


def test_items_are_found_by_name_whatever_their_order() -> None:
    [response] = parse(
        b"* 12 FETCH (BODY[] {5}\r\nhello MODSEQ (77) RFC822.SIZE 5 FLAGS (\\seen $Forwarded) "
        b'EMAILID (M6d99ac3275bb4e) THREADID NIL INTERNALDATE " 7-Jul-2026 09:05:01 +0800" UID 4711)'
    )

    result = fetch_result(response.number or 0, fetch_items(response))

    assert (result.uid, result.seq, result.size, result.modseq) == (4711, 12, 5, 77)
    assert result.flags == {"\\Seen", "$Forwarded"}
    assert result.internal_date == datetime(2026, 7, 7, 9, 5, 1, tzinfo=CST)
    assert (result.email_id, result.thread_id) == ("M6d99ac3275bb4e", None)
    assert result.body == b"hello" and result.body is not None and result.body.sha256.startswith("2cf24d")
    assert result.items == {}


def test_other_items_are_kept_by_their_upper_case_name() -> None:
    [response] = parse(b"* 1 FETCH (UID 3 BODY[HEADER.FIELDS (From)]<0> {4}\r\nabcd X-GM-LABELS (\\Inbox))")

    result = fetch_result(1, fetch_items(response))

    assert set(result.items) == {"BODY[HEADER.FIELDS (FROM)]", "X-GM-LABELS"}
    assert result.body is None and result.flags is None and result.size is None


def test_a_small_body_sent_as_a_quoted_string_is_still_a_literal() -> None:
    result = fetch_result(1, {"UID": 1, "BODY[]": b"tiny"})

    assert isinstance(result.body, BytesLiteral) and result.body.size == 4


@pytest.mark.parametrize(
    "pairs",
    [
        {"UID": Atom(b"x")},
        {"FLAGS": ((Atom(b"x"),),), "UID": 1},
        {"UID": 1, "INTERNALDATE": b"yesterday"},
        {},
    ],
    ids=["uid-not-a-number", "flag-not-text", "bad-date", "no-uid"],
)
def test_items_of_the_wrong_shape_are_an_error_not_a_guess(pairs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the message names the item
        fetch_result(1, pairs)  # type: ignore[arg-type]


def test_a_fetch_that_is_not_name_value_pairs_is_an_error() -> None:
    [response] = parse(b"* 1 FETCH (UID 1 FLAGS)")

    with pytest.raises(ValueError, match="pairs"):
        fetch_items(response)


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ("BODY.PEEK[]", "BODY[]"),
        ("body.peek[header]", "BODY[HEADER]"),
        ("BODY.PEEK[]<0.2048>", "BODY[]"),
        ("BINARY.PEEK[1]", "BINARY[1]"),
        ("RFC822.SIZE", "RFC822.SIZE"),
    ],
)
def test_a_requested_item_comes_back_under_its_response_name(item: str, key: str) -> None:
    assert response_key(item) == key


def test_dates_come_and_go_in_the_rfc_3501_form() -> None:
    moment = datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone(-timedelta(hours=7, minutes=30)))

    text = format_internal_date(moment)

    assert text == "03-Feb-2026 04:05:06 -0730"
    assert parse_internal_date(text) == moment
    assert parse_internal_date("17-jul-1996 02:44:25 +0000").tzinfo is not None


def test_a_naive_datetime_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="time zone"):
        format_internal_date(datetime(2026, 1, 1))  # naive on purpose


def test_system_flags_are_canonical_and_recent_is_dropped() -> None:
    flags = flags_of((Atom(b"\\SEEN"), Atom(b"\\recent"), Atom(b"$label1"), Atom(b"\\*")))

    assert flags == {"\\Seen", "$label1", "\\*"}


def test_remembered_flag_sets_and_zones_change_no_answer() -> None:
    # The memos key on the value: a list of strings is kept, but (True,) equals (1,) as a key and must
    # still be refused; a zone seen before gives the same offset; a zone of 24 hours is still an error.
    for _ in range(2):
        assert flags_of((Atom(b"\\Seen"), b"$x")) == {"\\Seen", "$x"}
        assert flags_of((1,)) == {"1"}
        with pytest.raises(ValueError, match="not text"):
            flags_of((True,))  # type: ignore[arg-type]  # what a broken caller could pass
        assert parse_internal_date(" 3-Feb-2026 04:05:06 -0730").utcoffset() == -timedelta(
            hours=7, minutes=30
        )
        with pytest.raises(ValueError, match="strictly between"):
            parse_internal_date("03-Feb-2026 04:05:06 +2400")


def test_item_names_are_found_however_many_the_server_invents() -> None:
    names = [Atom(b"X-VENDOR-%d" % n) for n in range(3000)]  # past the memo's bound
    response = UntaggedResponse("FETCH", 1, (tuple(v for name in names for v in (name, 1)),))

    assert list(fetch_items(response)) == [name.decode() for name in names]


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"* 42 EXISTS", Exists(42)),
        (b"* 7 EXPUNGE", Expunge(7)),
        (b"* VANISHED 5", Vanished(UidSet.of([5]))),
        (b"* VANISHED (EARLIER) 1:3,9", Vanished(UidSet.parse("1:3,9"), earlier=True)),
        (b"* 3 FETCH (FLAGS (\\Seen))", FlagUpdate(3, None, frozenset({"\\Seen"}))),
        (b"* 3 FETCH (UID 8 MODSEQ (90) FLAGS ())", FlagUpdate(3, 8, frozenset(), 90)),
        (b"* OK Still here", None),
        (b"* 2 RECENT", None),
    ],
)
def test_untagged_data_becomes_typed_events(line: bytes, event: object) -> None:
    [response] = parse(line)

    assert to_event(response) == event


def test_examine_answers_are_read_including_qresync_and_closed() -> None:
    untagged = parse(
        b"* 3 EXISTS",  # still about the folder open before ...
        b"* OK [HIGHESTMODSEQ 999] old",
        b"* OK [CLOSED] Previous mailbox closed.",  # ... until here
        b"* FLAGS (\\Answered \\Seen)",
        b"* OK [PERMANENTFLAGS ()] Read-only mailbox.",
        b"* 600 EXISTS",
        b"* OK [UIDVALIDITY 1795754477] UIDs valid",
        b"* OK [UIDNEXT 601] Predicted next UID",
        b"* OK [HIGHESTMODSEQ 720] Highest",
        b"* OK [MAILBOXID (F2212ea87-6097)] Ok",
        b"* VANISHED (EARLIER) 3:4",
        b"* VANISHED (EARLIER) 10",
        b"* 5 FETCH (UID 7 FLAGS (\\Flagged) MODSEQ (719))",
    )
    tagged = TaggedResponse("A1", "OK", ResponseCode("READ-ONLY"), "Examine completed")

    folder = parse_select("INBOX", b"INBOX", untagged, tagged)

    assert folder.read_only
    assert (folder.exists, folder.uidvalidity, folder.uidnext, folder.highest_modseq) == (
        600,
        1795754477,
        601,
        720,
    )
    assert folder.flags == {"\\Answered", "\\Seen"} and folder.permanent_flags == frozenset()
    assert folder.mailbox_id == "F2212ea87-6097"
    assert folder.vanished == UidSet.parse("3:4,10")
    assert folder.changes == (FlagUpdate(5, 7, frozenset({"\\Flagged"}), 719),)


def test_nomodseq_means_no_mod_sequences() -> None:
    untagged = parse(b"* 0 EXISTS", b"* OK [NOMODSEQ] Sorry")

    folder = parse_select("x", b"x", untagged, TaggedResponse("A1", "OK", None, "done"))

    assert folder.highest_modseq is None and folder.uidnext is None and not folder.read_only
