"""Noise: which machine sent a message, with the evidence; a subject alone never makes an auto-reply."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.inbox.noise import classify
from mailwarden.mime import parse_message

import inbox_samples as samples

OWN_GROUP = "Sales team <sales.example-exporter.cn>"


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("RFC3464_BOUNCE", "bounce"),
        ("HEADERS_ONLY_DELAY", "bounce"),
        ("QMAIL_BOUNCE", "bounce"),
        ("EXIM_BOUNCE", "bounce"),
        ("SENDMAIL_BOUNCE", "bounce"),
        ("QQ_BOUNCE", "bounce"),
        ("NETEASE_BOUNCE", "bounce"),
        ("READ_RECEIPT", "read_receipt"),
        ("EXCHANGE_OOF", "auto_reply"),
        ("OUTLOOK_OOF_ZH", "auto_reply"),
        ("GMAIL_VACATION", "auto_reply"),
        ("MAILING_LIST", "mailing_list"),
        ("NEWSLETTER", "bulk"),
        ("NULL_SENDER_ONLY", "notification"),
        ("PERSON", "person"),
        ("PERSON_QUOTING_OOF_SUBJECT", "person"),
        ("PERSON_OOF_WORDING_SUBJECT", "person"),
        ("PERSON_FORWARDING_BOUNCE", "person"),
        ("VIA_OWN_GROUP", "person"),
    ],
)
def test_it_files_each_sample_under_its_kind(sample: str, kind: str) -> None:
    verdict = classify(parse_message(getattr(samples, sample)), own_list_ids=[OWN_GROUP])
    assert verdict.kind == kind
    assert verdict.is_person == (kind == "person")


def test_it_says_which_header_made_a_bounce() -> None:
    verdict = classify(parse_message(samples.RFC3464_BOUNCE))
    facts = {(item.header, item.means) for item in verdict.evidence}
    assert ("Content-Type", "rfc3464-report") in facts
    assert ("Return-Path", "null-sender") in facts


def test_it_needs_a_machine_sender_and_bounce_words_for_a_text_bounce() -> None:
    verdict = classify(parse_message(samples.QQ_BOUNCE))
    assert [item.means for item in verdict.evidence] == ["machine-sender", "qq-bounce-text", "bounce-subject"]
    assert verdict.evidence[0].value == "PostMaster <PostMaster@qq.com>"


def test_an_exchange_out_of_office_shows_its_subject_and_headers() -> None:
    verdict = classify(parse_message(samples.EXCHANGE_OOF))
    means = {item.means for item in verdict.evidence}
    assert {"oof-subject", "rfc3834-notification", "exchange-suppress", "null-sender"} <= means


def test_auto_generated_without_a_reply_subject_is_a_notification() -> None:
    raw = samples.eml(
        """\
        From: Alibaba.com <notice@service.alibaba.com>
        To: sales@example-exporter.cn
        Subject: Your product listing was approved
        Message-ID: <n-2@alibaba.com>
        Auto-Submitted: auto-generated

        Approved.
        """
    )
    verdict = classify(parse_message(raw))
    assert verdict.kind == "notification"
    assert verdict.evidence[0].header == "Auto-Submitted"


def test_auto_submitted_no_is_a_person() -> None:
    raw = samples.PERSON.replace(b"Subject:", b"Auto-Submitted: no\r\nSubject:")
    assert classify(parse_message(raw)).kind == "person"


@pytest.mark.parametrize(
    "header", ["X-Autoreply: yes", "X-Autorespond: Out of office", "Precedence: auto_reply"]
)
def test_the_non_standard_auto_reply_headers_count(header: str) -> None:
    raw = samples.PERSON.replace(b"Subject:", header.encode() + b"\r\nSubject:")
    assert classify(parse_message(raw)).kind == "auto_reply"


def test_a_list_the_team_does_not_own_is_a_mailing_list() -> None:
    assert classify(parse_message(samples.VIA_OWN_GROUP)).kind == "mailing_list"
    assert classify(
        parse_message(samples.VIA_OWN_GROUP), own_list_ids=["<SALES.example-exporter.cn>"]
    ).is_person


def test_precedence_bulk_alone_is_bulk() -> None:
    raw = samples.PERSON.replace(b"Subject:", b"Precedence: bulk\r\nSubject:")
    verdict = classify(parse_message(raw))
    assert verdict.kind == "bulk"
    assert verdict.evidence[0].value == "bulk"


def test_an_auto_reply_sent_through_a_list_is_an_auto_reply() -> None:
    raw = samples.GMAIL_VACATION.replace(b"Subject:", b"List-Id: <led.lists.example.org>\r\nSubject:")
    verdict = classify(parse_message(raw))
    assert verdict.kind == "auto_reply"
    assert "rfc2919-list" in {item.means for item in verdict.evidence}


_OOF_SUBJECTS = ["Automatic reply: ", "自动回复: ", "Automatische Antwort: ", "Out of Office: ", "AUTO: "]


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from(_OOF_SUBJECTS), rest=st.text(min_size=0, max_size=60))
def test_a_subject_alone_never_makes_an_auto_reply(prefix: str, rest: str) -> None:
    """GIVEN a person's mail whose subject reads like an out-of-office, with no machine header
    THEN it stays a person's mail: the subject only confirms a header signal."""
    subject = (prefix + rest).replace("\r", " ").replace("\n", " ")
    raw = (
        samples.eml(
            """\
        From: Hans Weber <h.weber@example.de>
        To: sales@example-exporter.cn
        Message-ID: <p@example.de>
        Content-Type: text/plain; charset=utf-8
        """
        )
        + f"Subject: {subject}\r\n\r\nHello\r\n".encode()
    )
    assert classify(parse_message(raw)).kind == "person"


def test_the_same_subject_with_a_header_signal_is_an_auto_reply() -> None:
    raw = samples.PERSON_OOF_WORDING_SUBJECT.replace(
        b"Subject:", b"X-Auto-Response-Suppress: All\r\nSubject:"
    )
    verdict = classify(parse_message(raw))
    assert verdict.kind == "auto_reply"
    assert [item.means for item in verdict.evidence] == ["oof-subject", "exchange-suppress"]


def test_a_reply_from_a_crm_with_list_unsubscribe_alone_is_a_person() -> None:
    raw = samples.PERSON.replace(
        b"Subject:",
        b"In-Reply-To: <q1@example-exporter.cn>\r\nList-Unsubscribe: <https://crm.example/u/1>\r\nSubject:",
    )
    verdict = classify(parse_message(raw))
    assert verdict.kind == "person"
    assert [item.means for item in verdict.evidence] == ["rfc2369-unsubscribe"]
    # without In-Reply-To the same header makes it bulk
    assert (
        classify(parse_message(raw.replace(b"In-Reply-To: <q1@example-exporter.cn>\r\n", b""))).kind == "bulk"
    )


def test_a_reply_with_one_click_unsubscribe_is_still_bulk() -> None:
    raw = samples.NEWSLETTER.replace(b"Subject:", b"In-Reply-To: <q1@example-exporter.cn>\r\nSubject:")
    assert classify(parse_message(raw)).kind == "bulk"


def test_exchanges_out_of_office_is_known_by_its_headers_in_any_language() -> None:
    """X-Auto-Response-Suppress: All with X-MS-Exchange-Inbox-Rules-Loop, whatever the subject says."""
    raw = samples.EXCHANGE_OOF.replace(b"Subject: Automatic reply:", b"Subject: Fr\xc3\xa5nvarande:")
    raw = raw.replace(b"Auto-Submitted: auto-generated\r\n", b"").replace(b"Return-Path: <>\r\n", b"")
    verdict = classify(parse_message(raw))
    assert verdict.kind == "auto_reply"
    assert [item.means for item in verdict.evidence] == ["exchange-oof", "exchange-suppress"]
