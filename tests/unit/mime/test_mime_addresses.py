"""Address headers, message identifiers and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailwarden.mime import Address
from mailwarden.mime.addresses import _simple_pairs, message_id, message_ids, parse_addresses
from mailwarden.mime.dates import parse_date
from mailwarden.mime.defects import DefectLog

CST = timezone(timedelta(hours=8))


def addresses(*values: str | bytes) -> tuple[list[tuple[str, str]], list[str]]:
    log = DefectLog()
    raw = [v.decode("ascii", "surrogateescape") if isinstance(v, bytes) else v for v in values]
    found = parse_addresses(raw, log, "To")
    return [tuple(a) for a in found], [d.kind for d in log.result()]  # type: ignore[misc]


def test_a_decoded_display_name_with_a_comma_stays_one_address() -> None:
    # "李四, Sales" only appears after decoding; parsing first keeps it one mailbox
    assert addresses("=?utf-8?B?5p2O5ZubLCBTYWxlcw==?= <ls@example.com>, b@example.com") == (
        [("李四, Sales", "ls@example.com"), ("", "b@example.com")],
        [],
    )


def test_punycode_domains_are_shown_in_unicode() -> None:
    [(name, address)], _ = addresses("Buyer <buyer@XN--FSQU00A.xn--fiqs8s>")

    assert address == "buyer@例子.中国"
    assert Address(name, address).ascii == "buyer@xn--fsqu00a.xn--fiqs8s"


def test_raw_gbk_display_names_are_decoded_before_parsing() -> None:
    # 表 is not a problem in GBK, but a Big5/Shift_JIS trail byte could be "\\": decode first, parse after
    assert addresses("王经理".encode("gbk") + b" <wang@example.cn>")[0] == [("王经理", "wang@example.cn")]


def test_a_whole_encoded_mailbox_is_parsed_after_decoding() -> None:
    # =?utf-8?B?base64("张三 <zs@example.cn>")?=, as some web forms send it
    assert addresses("=?utf-8?B?5byg5LiJIDx6c0BleGFtcGxlLmNuPg==?=")[0] == [("张三", "zs@example.cn")]


def test_an_empty_group_is_no_defect() -> None:
    assert addresses("undisclosed-recipients:;") == ([], [])


def test_garbage_is_a_defect() -> None:
    assert addresses("<<<>>>")[1] == ["address"]


def test_occurrences_of_one_header_are_merged() -> None:
    assert addresses("a@example.com", "b@example.com")[0] == [("", "a@example.com"), ("", "b@example.com")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "abc@example.com"),
        ("  <abc@example.com> (comment)", "abc@example.com"),
        ("abc@example.com", "abc@example.com"),
        ("<abc@exa\r\n mple.com>", "abc@example.com"),
        ("", None),
    ],
)
def test_message_ids_lose_their_angle_brackets(value: str, expected: str | None) -> None:
    assert message_id(value) == expected


def test_references_keep_their_order_without_duplicates() -> None:
    assert message_ids("<a@x> <b@x>\r\n <a@x>,<c@x>") == ["a@x", "b@x", "c@x"]


def date(value: str | None) -> tuple[datetime | None, list[str]]:
    log = DefectLog()
    return parse_date(value, log), [d.kind for d in log.result()]


def test_an_rfc5322_date_reads_without_defect() -> None:
    assert date("Mon, 8 Jan 2024 09:30:00 +0800") == (datetime(2024, 1, 8, 9, 30, tzinfo=CST), [])


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 8 Jan 2024 09:30:00 GMT+0800",
        "Mon, 8 Jan 2024 09:30:00 GMT+8",
        "Mon, 8 Jan 2024 09:30:00 +08:00",
    ],
)
def test_offsets_the_stdlib_would_read_as_utc_are_read_right(value: str) -> None:
    assert date(value) == (datetime(2024, 1, 8, 9, 30, tzinfo=CST), ["date"])


def test_iso_8601_is_tolerated() -> None:
    assert date("2024-01-08 09:30:00 +0800")[0] == datetime(2024, 1, 8, 9, 30, tzinfo=CST)


def test_a_date_without_zone_is_utc_with_a_defect() -> None:
    assert date("8 Jan 2024 09:30:00") == (datetime(2024, 1, 8, 9, 30, tzinfo=UTC), ["date"])


@pytest.mark.parametrize("value", [None, "", "yesterday", "Mon, 32 Jan 2024 25:00:00 +0800"])
def test_unreadable_dates_are_none_with_a_defect(value: str | None) -> None:
    assert date(value) == (None, ["date"])


_ATOM = st.text(alphabet="abcXYZ019.-_+'", min_size=1, max_size=8)
_NAME = st.text(alphabet="abc XYZ 19.-_'=?张三株式会社\t", max_size=20)
_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", _ATOM, _ATOM)
_ONE = st.one_of(
    _ADDRESS,
    st.builds(lambda name, address: f"{name} <{address}>", _NAME, _ADDRESS),
    st.builds(lambda name, address: f'"{name}" <{address}>', _NAME, _ADDRESS),
    st.builds(lambda name, address: f"{name}({name}) <{address}>", _NAME, _ADDRESS),  # never simple
)


@given(st.lists(_ONE, min_size=1, max_size=4), st.sampled_from([",", ", ", " ,\t"]))
def test_the_fast_path_gives_what_the_full_parser_gives(parts: list[str], separator: str) -> None:
    text = separator.join(parts)
    simple = _simple_pairs(text)
    if "(" in text:
        assert simple is None  # comments always take the full parser
    if simple is not None:
        assert simple == [(name, address.strip()) for name, address in getaddresses([text])]
