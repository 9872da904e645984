"""Charset labels as mail uses them, and decoding that always returns text."""

from __future__ import annotations

import pytest

from mailwarden.mime.charsets import decode_text, resolve
from mailwarden.mime.defects import DefectLog


def decode(data: bytes, label: str | None) -> tuple[str, list[str]]:
    log = DefectLog()
    text = decode_text(data, label, log, "part 1")
    return text, [defect.kind for defect in log.result()]


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "cp936", "EUC-CN", "gb_2312-80", '"GB2312"'])
def test_every_gb_label_reads_as_gb18030(label: str) -> None:
    assert resolve(label).chain == ("gb18030",)


@pytest.mark.parametrize(
    ("label", "codec"),
    [("big5", "big5hkscs"), ("ks_c_5601-1987", "cp949"), ("euc-kr", "cp949"), ("utf8", "utf-8")],
)
def test_labels_map_to_their_real_world_supersets(label: str, codec: str) -> None:
    assert resolve(label).chain[0] == codec


@pytest.mark.parametrize("label", ["unknown-8bit", "x-user-defined", "no-such-charset", "base64", "rot13"])
def test_junk_and_non_text_codecs_count_as_no_label(label: str) -> None:
    assert resolve(label).chain == ()


def test_utf8_with_a_trailing_quote_is_still_utf8() -> None:
    assert resolve('UTF-8"').chain == ("utf-8",)


def test_utf8_behind_a_gb2312_label_is_read_as_utf8() -> None:
    # GB18030 would "succeed" here and produce 浣犲ソ-style mojibake
    assert decode("你好，报价单".encode(), "gb2312") == ("你好，报价单", ["charset_mislabelled"])


def test_utf8_behind_a_latin1_label_is_read_as_utf8() -> None:
    assert decode("Grüße".encode(), "iso-8859-1") == ("Grüße", ["charset_mislabelled"])


def test_real_latin1_stays_latin1_without_a_defect() -> None:
    assert decode("Grüße, café".encode("latin-1"), "iso-8859-1") == ("Grüße, café", [])


def test_8bit_bytes_under_us_ascii_are_windows_1252() -> None:
    assert decode(b"\x93quoted\x94", "us-ascii") == ("“quoted”", ["charset_mislabelled"])


def test_long_gbk_under_a_latin1_label_is_detected() -> None:
    text = "您好！关于贵公司上周的询盘，我们已经准备好了报价单，请查收附件。如有任何问题，请随时与我们联系。"
    assert decode(text.encode("gbk"), "iso-8859-1") == (text, ["charset_mislabelled"])


def test_a_few_bad_bytes_do_not_hand_good_gbk_to_the_detector() -> None:
    text = "您好！关于贵公司上周的询盘，我们已经准备好了报价单，请查收附件。"
    data = text.encode("gbk") + b"\xff"

    decoded, kinds = decode(data, "gb2312")

    assert decoded == text + "\ufffd"
    assert kinds == ["text_replaced"]


def test_pure_ascii_needs_no_detection() -> None:
    assert decode(b"plain", None) == ("plain", [])


def test_iso_2022_jp_without_label_is_not_mistaken_for_ascii() -> None:
    data = "お見積りの件について、ご連絡いたします。".encode("iso2022_jp")

    text, kinds = decode(data, None)

    assert text == "お見積りの件について、ご連絡いたします。"
    assert kinds == ["charset_missing"]


def test_utf16_is_decoded_by_its_label() -> None:
    assert decode("abc".encode("utf-16"), "utf-16") == ("abc", [])


def test_undecodable_bytes_become_replacement_characters_with_a_defect() -> None:
    assert decode(b"\x81 abc", "gb2312") == ("\ufffd abc", ["text_replaced"])


def test_utf8_behind_a_single_byte_label_is_read_as_utf8() -> None:
    assert decode("Привет".encode(), "koi8-r") == ("Привет", ["charset_mislabelled"])


def test_real_koi8_r_stays_koi8_r() -> None:
    assert decode("Привет".encode("koi8-r"), "koi8-r") == ("Привет", [])
