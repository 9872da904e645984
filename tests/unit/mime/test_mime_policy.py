"""Why mime/ uses compat32 plus its own charset layer: policy.default loses GBK characters.

GIVEN a header and body labelled GB2312 that hold 镕 and 喆 — characters of GBK, not of GB2312, and
exactly what Chinese mail clients send under that label —
WHEN the stdlib parses them with ``policy.default``
THEN both become U+FFFD (the text is silently lost), while ``parse_message`` reads them right.
"""

from __future__ import annotations

import email
import email.policy

from mime_corpus import b_word, message

from mailwarden.mime import parse_message

RAW = message(
    ("Subject", b_word("朱镕基与陶喆", "gbk", "GB2312")),
    ("Content-Type", "text/plain; charset=gb2312"),
    body="镕喆".encode("gbk"),
)


def test_policy_default_corrupts_a_gb2312_labelled_gbk_header_and_body() -> None:
    parsed = email.message_from_bytes(RAW, policy=email.policy.default)

    subject = str(parsed["subject"])
    body = parsed.get_content()

    assert subject != "朱镕基与陶喆" and "镕" not in subject and "\ufffd" in subject
    assert body != "镕喆" and "\ufffd" in body


def test_parse_message_reads_the_same_bytes_correctly() -> None:
    parsed = parse_message(RAW)

    assert (parsed.subject, parsed.text) == ("朱镕基与陶喆", "镕喆")
