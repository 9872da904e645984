"""RFC 2047 encoded-words and raw 8-bit header text."""

from __future__ import annotations

import base64

from mailwarden.mime.defects import DefectLog
from mailwarden.mime.encoded_words import decode_header


def decode(value: str | bytes, hints: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    if isinstance(value, bytes):  # as compat32 holds a raw header: 8-bit bytes as surrogates
        value = value.decode("ascii", "surrogateescape")
    log = DefectLog()
    text = decode_header(value, log, "Subject", hints)
    return text, [defect.kind for defect in log.result()]


def test_white_space_between_encoded_words_is_dropped_but_kept_next_to_text() -> None:
    assert decode("=?utf-8?Q?a?= =?utf-8?Q?b?= c =?utf-8?Q?d?=") == ("ab c d", [])


def test_base64_split_inside_a_quantum_is_joined_before_decoding() -> None:
    encoded = base64.b64encode("你好世界".encode()).decode()  # 16 characters
    assert decode(f"=?utf-8?B?{encoded[:6]}?= =?utf-8?B?{encoded[6:]}?=") == ("你好世界", [])


def test_mixed_charsets_in_one_header_are_decoded_each_in_its_own() -> None:
    gbk = base64.b64encode("报价".encode("gbk")).decode()
    big5 = base64.b64encode("價格".encode("big5")).decode()
    value = f"=?gb2312?B?{gbk}?= =?big5?B?{big5}?= =?iso-8859-1?Q?caf=E9?="

    assert decode(value) == ("报价價格café", [])


def test_q_encoding_turns_underscores_into_spaces() -> None:
    assert decode("=?UTF-8?Q?Hello_World=21?=") == ("Hello World!", [])


def test_missing_base64_padding_is_supplied_with_a_defect() -> None:
    assert decode("=?utf-8?B?5L2g5aW9IQ?=") == ("你好!", ["encoded_word"])


def test_extra_base64_padding_is_ignored_with_a_defect() -> None:
    assert decode("=?utf-8?B?5L2g5aW9=?=") == ("你好", ["encoded_word"])


def test_a_truncated_character_becomes_a_replacement_character() -> None:
    text, kinds = decode("=?utf-8?B?5L2g5a?=")

    assert text == "你\ufffd"
    assert set(kinds) == {"encoded_word", "text_replaced"}


def test_an_unknown_charset_is_detected_with_a_defect() -> None:
    encoded = base64.b64encode("询盘报价".encode()).decode()
    assert decode(f"=?x-unknown-thing?B?{encoded}?=") == ("询盘报价", ["charset_unknown"])


def test_a_misspelled_charset_label_is_understood() -> None:
    encoded = base64.b64encode("询盘".encode()).decode()
    assert decode(f'=?utf8?B?{encoded}?= =?"UTF-8"?B?{encoded}?=')[0] == "询盘询盘"


def test_an_encoded_word_cut_off_at_the_end_is_still_decoded() -> None:
    encoded = base64.b64encode("报价单".encode()).decode()
    assert decode(f"Re: =?utf-8?B?{encoded}") == ("Re: 报价单", ["encoded_word"])


def test_an_encoded_word_inside_quotes_is_decoded() -> None:
    assert decode('"=?utf-8?B?5byg5LiJ?=" <zs@example.cn>') == ('"张三" <zs@example.cn>', [])


def test_raw_utf8_is_legal_and_no_defect() -> None:
    assert decode("询盘 – Angebot".encode()) == ("询盘 – Angebot", [])


def test_raw_gbk_is_decoded_with_a_defect() -> None:
    assert decode("关于报价的询问".encode("gbk")) == ("关于报价的询问", ["header_8bit"])


def test_raw_bytes_use_the_message_charsets_as_hints() -> None:
    raw = "見積書".encode("shift_jis")
    assert decode(raw, hints=("shift_jis",))[0] == "見積書"


def test_raw_gbk_next_to_an_encoded_word_decodes_both() -> None:
    value = "回复：".encode("gbk") + b" =?utf-8?B?5oql5Lu3?="
    assert decode(value)[0] == "回复： 报价"


def test_control_characters_become_spaces() -> None:
    assert decode("=?utf-8?Q?a=0Db=09c?=") == ("a b c", [])
