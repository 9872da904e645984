"""Defects: recorded instead of raised, capped, and explained in both languages."""

from __future__ import annotations

import pytest

from mailwarden.core import i18n
from mailwarden.mime import DEFECT_KINDS, Defect, parse_message
from mailwarden.mime.defects import DefectLog


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_every_defect_kind_is_explained_in_both_languages(kind: str) -> None:
    key = f"mime.defect.{kind}"

    assert key in i18n.catalog(i18n.EN)
    assert key in i18n.catalog(i18n.ZH)


def test_a_defect_renders_its_detail_in_chinese() -> None:
    defect = Defect("charset_mislabelled", "part 1: labelled 'gb2312', decoded as utf-8")

    assert (
        defect.render("zh-CN")
        == "正文的实际编码与声明的字符集不符，已按其他字符集读取：part 1: labelled 'gb2312', decoded as utf-8"
    )


def test_the_mime_catalogues_hold_the_same_keys() -> None:
    en = {k for k in i18n.catalog(i18n.EN) if k.startswith("mime.")}
    zh = {k for k in i18n.catalog(i18n.ZH) if k.startswith("mime.")}

    assert en == zh


def test_a_bug_in_a_stage_becomes_an_internal_defect() -> None:
    log = DefectLog()

    with log.guard("subject"):
        raise ValueError("boom")

    assert log.result() == [Defect("internal", "subject: ValueError: boom")]


def test_the_log_keeps_a_bounded_number_of_defects() -> None:
    log = DefectLog(limit=3)
    for number in range(10):
        log.add("structure", f"defect {number}")

    assert [d.detail for d in log.result()] == [
        "defect 0",
        "defect 1",
        "defect 2",
        "7 more defects not recorded",
    ]


def test_a_bug_while_parsing_a_header_costs_only_that_header(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailwarden.mime import parse as parse_module

    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(parse_module, "parse_date", broken)

    parsed = parse_message(b"Subject: still here\r\nDate: whenever\r\n\r\nbody")

    assert (parsed.subject, parsed.text, parsed.date) == ("still here", "body", None)
    assert Defect("internal", "date: RuntimeError: bug") in parsed.defects


def test_deep_nesting_is_cut_off_with_a_defect() -> None:
    raw = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(3000)
    )

    parsed = parse_message(raw + b"Content-Type: text/plain\r\n\r\ndeep")

    assert parsed.size == len(raw) + len(b"Content-Type: text/plain\r\n\r\ndeep")
    assert "too_complex" in {d.kind for d in parsed.defects}
    assert parsed.text.endswith("\n\ndeep")  # below the limit the parts are text, not lost


def test_too_many_parts_are_kept_as_text_with_a_defect() -> None:
    parts = b"".join(b"--b\r\nContent-Type: application/octet-stream\r\n\r\nx%d\r\n" % i for i in range(2001))
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"

    parsed = parse_message(raw)

    assert Defect("too_complex", "parts below the message skipped (limits reached)") in parsed.defects
    assert "MultipartInvariantViolationDefect" not in str(parsed.defects)
    assert (parsed.attachments, parsed.text.count("application/octet-stream")) == ([], 2001)
