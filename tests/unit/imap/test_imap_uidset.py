"""UidSet: the wire form, set behaviour, and chunking for pipelined commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailwarden.imap import UidSet
from mailwarden.imap.uidset import MAX_UID


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1:5,7,9:*", "1:5,7,9:*"),
        ("9:12,1:5,7", "1:5,7,9:12"),
        ("5:1", "1:5"),  # a range may be written backwards
        ("1,2,3,4", "1:4"),
        ("1:3,2:6,8", "1:6,8"),
        ("*", "*"),
        ("*:7", "7:*"),
        ("3,7:*,8:10", "3,7:*"),  # the open range swallows what it covers
        ("3,4:*", "3:*"),
        (f"1:{MAX_UID}", f"1:{MAX_UID}"),
    ],
)
def test_it_parses_and_writes_the_canonical_form(text: str, canonical: str) -> None:
    uids = UidSet.parse(text)

    assert str(uids) == canonical
    assert UidSet.parse(str(uids)) == uids


@pytest.mark.parametrize("text", ["", "0", "1:", ":5", "1,,2", "a", "1:2:3", f"{MAX_UID + 1}", "-1", " 1"])
def test_it_refuses_what_is_not_a_uid_set(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the message says which part is wrong
        UidSet.parse(text)


def test_it_counts_iterates_and_answers_membership() -> None:
    uids = UidSet.parse("1:5,7,9:10")

    assert len(uids) == 8
    assert list(uids) == [1, 2, 3, 4, 5, 7, 9, 10]
    assert 7 in uids and 8 not in uids and 11 not in uids and 0 not in uids
    assert (uids.min(), uids.max()) == (1, 10)
    assert bytes(uids) == b"1:5,7,9:10"


def test_an_open_set_can_be_written_but_not_counted() -> None:
    uids = UidSet.parse("100:*")

    assert uids.is_open and bool(uids) and uids.max() is None
    for question in (len, list, lambda s: 150 in s, lambda s: list(s.chunks(10))):
        with pytest.raises(ValueError, match=r"'\*'"):
            question(uids)


def test_an_empty_set_is_false_and_has_no_wire_form() -> None:
    assert not UidSet()
    assert len(UidSet()) == 0
    assert repr(UidSet()) == "UidSet()"
    with pytest.raises(ValueError, match="empty"):
        str(UidSet())


def test_union_and_difference() -> None:
    a, b = UidSet.parse("1:10"), UidSet.parse("3:4,8,20")

    assert str(a | b) == "1:10,20"
    assert str(a - b) == "1:2,5:7,9:10"
    assert not (b - (a | b))


def test_chunks_bound_both_the_uids_and_the_ranges_of_each_command() -> None:
    uids = UidSet.parse("1:300,400,402,404,406,408")

    by_count = [str(c) for c in uids.chunks(128)]
    by_ranges = [str(c) for c in UidSet.parse("2,4,6,8,10").chunks(100, max_ranges=2)]

    assert by_count == ["1:128", "129:256", "257:300,400,402,404,406,408"]
    assert by_ranges == ["2,4", "6,8", "10"]


uid_lists = st.lists(st.integers(min_value=1, max_value=5000), max_size=300)


@given(uid_lists, st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=10))
def test_chunks_are_in_order_bounded_and_together_the_whole_set(
    members: list[int], size: int, ranges: int
) -> None:
    uids = UidSet.of(members)

    chunks = list(uids.chunks(size, max_ranges=ranges))

    assert [uid for chunk in chunks for uid in chunk] == sorted(set(members))
    assert all(0 < len(chunk) <= size and len(chunk.ranges) <= ranges for chunk in chunks)


@given(uid_lists, uid_lists)
def test_it_behaves_like_a_python_set(first: list[int], second: list[int]) -> None:
    a, b = UidSet.of(first), UidSet.of(second)

    assert list(a | b) == sorted(set(first) | set(second))
    assert list(a - b) == sorted(set(first) - set(second))
    assert len(a) == len(set(first))
