"""Content-Type and Content-Disposition parameters: RFC 2231, RFC 2047 in quotes, raw 8-bit names."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.mime.defects import DefectLog
from mailwarden.mime.params import _split, parse_header_value


def parse(value: str | bytes) -> tuple[str, dict[str, str], list[str]]:
    if isinstance(value, bytes):
        value = value.decode("ascii", "surrogateescape")
    log = DefectLog()
    parsed = parse_header_value(value, log, "part 2")
    return parsed.value, parsed.params, [defect.kind for defect in log.result()]


def test_it_reads_a_plain_content_type() -> None:
    assert parse('Text/Plain; charset="UTF-8"; format=flowed') == (
        "text/plain",
        {"charset": "UTF-8", "format": "flowed"},
        [],
    )


def test_rfc2231_continuations_join_bytes_before_decoding() -> None:
    # the split falls inside the three bytes of 价
    value = "attachment; filename*0*=utf-8''%E6%8A%A5%E4; filename*1*=%BB%B7.pdf"
    assert parse(value)[1] == {"filename": "报价.pdf"}


def test_rfc2231_plain_segments_mix_with_encoded_ones() -> None:
    value = "attachment; filename*0*=utf-8''%E6%8A%A5%E4%BB%B7; filename*1=\"_final.pdf\""
    assert parse(value)[1] == {"filename": "报价_final.pdf"}


def test_rfc2231_gb2312_label_reads_gbk_characters() -> None:
    encoded = "".join(f"%{b:02X}" for b in "镕.doc".encode("gbk"))
    assert parse(f"attachment; filename*=gb2312''{encoded}")[1] == {"filename": "镕.doc"}


def test_rfc2231_form_wins_over_the_plain_one() -> None:
    value = "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7.pdf"
    assert parse(value)[1] == {"filename": "报价.pdf"}


def test_missing_segments_are_a_defect_but_the_rest_is_kept() -> None:
    _, params, kinds = parse("attachment; filename*0=a; filename*2=c")
    assert params == {"filename": "ac"} and kinds == ["parameter"]


def test_encoded_words_in_a_quoted_name_are_decoded() -> None:
    assert parse('application/pdf; name="=?GB2312?B?sai827jxLi5wZGY=?="')[1]["name"] == "报价格..pdf"


def test_raw_shift_jis_name_with_a_backslash_trail_byte_is_kept_whole() -> None:
    # 表 is 0x95 0x5C in Shift_JIS: the 0x5C is not an escape of the closing quote
    raw = b'attachment; filename="' + "表.xls".encode("shift_jis") + b'"; size=10'
    log = DefectLog()
    parsed = parse_header_value(raw.decode("ascii", "surrogateescape"), log, "part 2", ("shift_jis",))
    assert parsed.params == {"filename": "表.xls", "size": "10"}


def test_a_missing_semicolon_before_a_parameter_is_tolerated() -> None:
    assert parse("text/plain charset=gbk") == ("text/plain", {"charset": "gbk"}, ["parameter"])


def test_escaped_quotes_in_a_quoted_value() -> None:
    assert parse(r'attachment; filename="say \"hi\".txt"')[1] == {"filename": 'say "hi".txt'}


def _split_char_by_char(text: str) -> list[str]:
    """The definition: ";" splits outside quotes; a backslash in quotes escapes the next character, unless
    it follows an 8-bit character (then it is that character's trail byte)."""
    pieces, start, quoted, index = [], 0, False, 0
    while index < len(text):
        char = text[index]
        if quoted and char == "\\" and not (index > 0 and not text[index - 1].isascii()):
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append(text[start:index])
            start = index + 1
        index += 1
    return [*pieces, text[start:]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='a;" \\=\udce9', max_size=30))
def test_parameters_split_at_semicolons_outside_quotes(text: str) -> None:
    assert _split(text) == _split_char_by_char(text)
