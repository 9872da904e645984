"""The charset corpus: whole messages as real clients send them, each decoded to the exact text."""

from __future__ import annotations

import base64

from mime_corpus import (
    CRLF,
    DSN_BOUNCE,
    GB2312_LABELLED_GBK,
    GBK_TEXT,
    NO_MESSAGE_ID,
    OUTLOOK_ATTACHMENT,
    b64,
    b_word,
    message,
)

from mailwarden.mime import extract_part, parse_message


def kinds(raw: bytes) -> set[str]:
    return {defect.kind for defect in parse_message(raw).defects}


def test_it_reads_gbk_only_and_four_byte_characters_under_a_gb2312_label() -> None:
    parsed = parse_message(GB2312_LABELLED_GBK)

    assert parsed.subject == "询盘：朱镕基、陶喆"
    assert parsed.text == GBK_TEXT + "\n"
    assert parsed.from_[0].name == "王经理"
    assert parsed.defects == []


def test_it_joins_a_gbk_character_split_across_two_encoded_words() -> None:
    data = "朱镕基".encode("gbk")  # 6 bytes; the split falls inside 镕
    first, second = base64.b64encode(data[:3]), base64.b64encode(data[3:])
    raw = message(("Subject", b"=?GB2312?B?" + first + b"?=\r\n =?GB2312?B?" + second + b"?="), body=b"x")

    assert parse_message(raw).subject == "朱镕基"


def test_it_reads_big5_and_hkscs_characters() -> None:
    raw = message(
        ("Subject", b_word("香港價格表：𨋢", "big5hkscs", "big5")),
        ("Content-Type", "text/plain; charset=big5"),
        body="峯景大廈、𨋢".encode("big5hkscs"),
    )

    parsed = parse_message(raw)

    assert parsed.subject == "香港價格表：𨋢"
    assert parsed.text == "峯景大廈、𨋢"


def test_it_reads_the_windows_euro_sign_under_a_big5_label() -> None:
    raw = message(("Content-Type", "text/plain; charset=big5"), body="價格：€5".encode("cp950"))

    assert parse_message(raw).text == "價格：€5"


def test_it_reads_the_windows_euro_sign_in_gbk() -> None:
    raw = message(("Content-Type", "text/plain; charset=gbk"), body="价格：".encode("gbk") + b"\x805")

    assert parse_message(raw).text == "价格：€5"


def test_it_reads_a_raw_8bit_gbk_subject_with_the_body_charset_as_hint() -> None:
    raw = message(
        ("Subject", "询盘：报价单".encode("gbk")),
        ("Content-Type", "text/plain; charset=gb2312"),
        body="您好".encode("gbk"),
    )

    parsed = parse_message(raw)

    assert parsed.subject == "询盘：报价单"
    assert "header_8bit" in {d.kind for d in parsed.defects}


def test_it_reads_a_raw_8bit_gbk_subject_without_any_hint() -> None:
    raw = message(("Subject", "询盘报价单".encode("gbk")), body=b"hello")

    assert parse_message(raw).subject == "询盘报价单"


def test_it_reads_x_gbk() -> None:
    raw = message(("Content-Type", "text/plain; charset=x-gbk"), body="外贸询盘，镕".encode("gbk"))

    parsed = parse_message(raw)

    assert parsed.text == "外贸询盘，镕"
    assert parsed.defects == [d for d in parsed.defects if d.kind in {"message_id", "date"}]


def test_it_reads_a_utf8_body_without_charset() -> None:
    raw = message(("Content-Type", "text/plain"), body="Grüße, 你好 — ok".encode())

    assert parse_message(raw).text == "Grüße, 你好 — ok"


def test_it_detects_a_long_gbk_body_without_charset() -> None:
    text = "您好！关于贵公司上周的询盘，我们已经准备好了报价单，请查收附件。如有任何问题，请随时联系。"
    raw = message(("Content-Type", "text/plain"), body=text.encode("gbk"))

    parsed = parse_message(raw)

    assert parsed.text == text
    assert "charset_missing" in {d.kind for d in parsed.defects}


def test_it_reads_a_short_gbk_body_without_charset() -> None:
    raw = message(("From", "a@example.cn"), body="陶喆".encode("gbk"))

    assert parse_message(raw).text == "陶喆"


def test_it_reads_ks_c_5601_1987_korean_as_cp949() -> None:
    text = "견적서를 보내드립니다. 똠방각하"  # 똠 exists in cp949 only, not in EUC-KR
    raw = message(
        ("Subject", b_word("견적서 요청", "cp949", "ks_c_5601-1987")),
        ("Content-Type", "text/plain; charset=ks_c_5601-1987"),
        ("Content-Transfer-Encoding", "base64"),
        body=b64(text.encode("cp949")),
    )

    parsed = parse_message(raw)

    assert (parsed.subject, parsed.text) == ("견적서 요청", text)


def test_it_reads_shift_jis_with_windows_extensions() -> None:
    raw = message(
        ("Subject", b_word("見積書①の件", "cp932", "Shift_JIS")),
        ("Content-Type", "text/plain; charset=Shift_JIS"),
        body="お見積り①をお送りします".encode("cp932"),
    )

    parsed = parse_message(raw)

    assert (parsed.subject, parsed.text) == ("見積書①の件", "お見積り①をお送りします")


def test_it_reads_iso_2022_jp() -> None:
    raw = message(
        ("Subject", b_word("お見積りの件", "iso2022_jp", "ISO-2022-JP")),
        ("Content-Type", "text/plain; charset=ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
        body="いつもお世話になっております。".encode("iso2022_jp") + CRLF,
    )

    parsed = parse_message(raw)

    assert (parsed.subject, parsed.text) == ("お見積りの件", "いつもお世話になっております。\n")


def test_it_reads_windows_1252_smart_quotes_labelled_iso_8859_1() -> None:
    raw = message(
        ("Content-Type", "text/plain; charset=iso-8859-1"),
        ("Content-Transfer-Encoding", "quoted-printable"),
        body=b"=93Price=94 =96 it=92s =805 per unit, caf=E9=\r\n included",
    )

    parsed = parse_message(raw)

    assert parsed.text == "“Price” – it’s €5 per unit, café included"
    assert "charset_mislabelled" in {d.kind for d in parsed.defects}


def test_it_reads_a_dsn_bounce() -> None:
    parsed = parse_message(DSN_BOUNCE)

    assert parsed.text == "I'm sorry to have to inform you that your message could not be delivered."
    assert parsed.auto_reply.report_type == "delivery-status"
    assert parsed.auto_reply.auto_submitted == "auto-replied"
    assert parsed.auto_reply.null_return_path
    assert parsed.is_auto_reply
    assert [(a.part_path, a.content_type) for a in parsed.attachments] == [
        ("2", "message/delivery-status"),
        ("3", "message/rfc822"),
    ]


def test_it_extracts_the_returned_message_of_a_bounce() -> None:
    returned = extract_part(DSN_BOUNCE, "3")

    assert returned == b"From: sales@example.com\r\nSubject: Quotation\r\n\r\nDear buyer,"


def test_it_decodes_an_outlook_rfc2231_chinese_filename() -> None:
    parsed = parse_message(OUTLOOK_ATTACHMENT)

    [attachment] = parsed.attachments
    assert attachment.filename == "报价单（2024）.xlsx"
    assert (attachment.content_type, attachment.disposition) == ("application/vnd.ms-excel", "attachment")
    assert parsed.text == "请查收附件。"
    assert extract_part(OUTLOOK_ATTACHMENT, attachment.part_path) == b"PK\x03\x04 not really a spreadsheet"


def test_a_message_without_message_id_has_none_and_a_defect() -> None:
    parsed = parse_message(NO_MESSAGE_ID)

    assert parsed.message_id is None
    assert [d.kind for d in parsed.defects] == ["message_id"]
    assert parsed.text == "hello\n"


def test_it_unfolds_long_headers() -> None:
    raw = message(
        (
            "Subject",
            b"Re: =?utf-8?B?5YWz5LqO?=\r\n =?utf-8?B?6K+i55uY?= and a very long English tail that"
            b"\r\n\tgoes on over several lines",
        ),
        (
            "To",
            '"Buyer, One" <one@example.org>,\r\n two@example.org,'
            '\r\n\t"=?utf-8?Q?Dr=C3=BCck?=" <x@example.de>',
        ),
        ("References", "<a@x>\r\n <b@x>\r\n\t<c@x>"),
        body=b"",
    )

    parsed = parse_message(raw)

    assert parsed.subject == "Re: 关于询盘 and a very long English tail that goes on over several lines"
    assert [tuple(a) for a in parsed.to] == [
        ("Buyer, One", "one@example.org"),
        ("", "two@example.org"),
        ("Drück", "x@example.de"),
    ]
    assert parsed.references == ["a@x", "b@x", "c@x"]
