"""Bounces: the original's Message-ID and our token, failed recipients, status codes, in every shape."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import NotFoundError
from mailwarden.inbox.bounces import BounceReport, bounced_message_ids, read_bounce, receipt_message_id
from mailwarden.mime import parse_message

import inbox_samples as samples


def _read(raw: bytes) -> BounceReport:
    report = read_bounce(parse_message(raw), raw)
    assert report is not None
    return report


@pytest.mark.parametrize(
    ("sample", "form"),
    [
        ("RFC3464_BOUNCE", "rfc3464"),
        ("HEADERS_ONLY_DELAY", "rfc3464"),
        ("QMAIL_BOUNCE", "qmail"),
        ("EXIM_BOUNCE", "exim"),
    ],
)
def test_it_finds_our_message_id_and_token_in_the_returned_original(sample: str, form: str) -> None:
    raw = getattr(samples, sample)
    report = _read(raw)
    assert report.format == form
    assert report.message_ids == (samples.OUR_ID,)
    assert report.conversation_tokens == (samples.OUR_TOKEN,)
    assert report.original_subject == "Re: LED panel quotation"
    assert bounced_message_ids(parse_message(raw), raw) == (samples.OUR_ID,)


def test_it_reads_the_rfc3464_recipient_fields() -> None:
    report = _read(samples.RFC3464_BOUNCE)
    (recipient,) = report.recipients
    assert recipient.address == "buyer@example.de"
    assert recipient.original_address == "buyer@example.de"
    assert recipient.action == "failed"
    assert recipient.status == "5.1.1"
    assert recipient.remote_mta == "mx.example.de"
    # the folded Diagnostic-Code is unfolded, not cut at the line end
    assert (
        recipient.diagnostic == "smtp; 550 5.1.1 <buyer@example.de>: Recipient address rejected: User unknown"
    )
    assert recipient.permanent and report.permanent
    assert report.reporting_mta == "mx.example-exporter.cn"


def test_a_delay_notice_is_not_permanent() -> None:
    report = _read(samples.HEADERS_ONLY_DELAY)
    (recipient,) = report.recipients
    assert (recipient.action, recipient.status) == ("delayed", "4.4.7")
    assert not recipient.permanent and not report.permanent


def test_it_reads_qmail_recipient_paragraphs() -> None:
    (recipient,) = _read(samples.QMAIL_BOUNCE).recipients
    assert recipient.address == "compras@example.es"
    assert recipient.status == "5.1.1"
    assert recipient.diagnostic is not None and "does not like recipient" in recipient.diagnostic


def test_it_reads_exim_addresses_and_ignores_the_quoted_originals_to() -> None:
    report = _read(samples.EXIM_BOUNCE)
    # the quoted original says "To: buyer@example.de": that is not who failed
    assert [recipient.address for recipient in report.recipients] == ["purchasing@example.co.uk"]
    assert report.recipients[0].status == "5.1.1"


def test_a_qq_bounce_names_recipient_reason_subject_and_time_but_no_message_id() -> None:
    report = _read(samples.QQ_BOUNCE)
    assert report.format == "qq"
    assert report.message_ids == ()
    (recipient,) = report.recipients
    assert recipient.address == "buyer@example.com.au"
    assert recipient.status == "5.7.515"
    assert report.original_subject == "LED panel quotation"
    assert report.original_date == "2026-11-26 14:31:25"


def test_a_netease_bounce_in_gb2312_html_names_recipient_subject_and_time() -> None:
    report = _read(samples.NETEASE_BOUNCE)
    assert report.format == "netease"
    (recipient,) = report.recipients
    assert recipient.address == "buyer@example.fr"
    assert recipient.diagnostic is not None and "对方退信了" in recipient.diagnostic
    assert report.original_subject == "Re: Inquiry for LED panels"
    assert report.original_date == "2026-11-26 14:29:05"


@pytest.mark.parametrize("sample", ["PERSON", "EXCHANGE_OOF", "READ_RECEIPT", "PERSON_FORWARDING_BOUNCE"])
def test_what_is_not_a_bounce_reports_nothing(sample: str) -> None:
    raw = getattr(samples, sample)
    assert read_bounce(parse_message(raw), raw) is None
    assert bounced_message_ids(parse_message(raw), raw) == ()


def test_a_bounce_quoting_headers_with_angle_brackets_still_yields_the_id() -> None:
    """Some relays quote the returned message with "> " like a reply."""
    quoted = samples.QMAIL_BOUNCE.replace(b"\r\nMessage-ID: <conv-", b"\r\n> Message-ID: <conv-")
    quoted = quoted.replace(
        b"--- Below this line is a copy of the message.\r\n\r\n", b"Original message follows.\r\n"
    )
    report = _read(quoted)
    assert report.message_ids == (samples.OUR_ID,)


def test_x_failed_recipients_alone_names_the_recipient() -> None:
    raw = samples.eml(
        """\
        From: Mail Delivery System <Mailer-Daemon@mx.example.co.uk>
        To: sales@example-exporter.cn
        Subject: Mail delivery failed
        Message-ID: <b-9@mx.example.co.uk>
        X-Failed-Recipients: a@example.co.uk, b@example.co.uk

        Delivery failed.
        """
    )
    report = _read(raw)
    assert [recipient.address for recipient in report.recipients] == ["a@example.co.uk", "b@example.co.uk"]


def test_the_raw_bytes_must_be_the_parsed_message() -> None:
    parsed = parse_message(samples.RFC3464_BOUNCE)
    with pytest.raises(NotFoundError):
        read_bounce(parsed, samples.PERSON)


def test_a_read_receipt_names_the_message_that_was_read() -> None:
    raw = samples.READ_RECEIPT
    assert receipt_message_id(parse_message(raw), raw) == samples.OUR_ID


def test_a_read_receipt_without_original_message_id_falls_back_to_returned_headers() -> None:
    raw = samples.READ_RECEIPT.replace(f"Original-Message-ID: <{samples.OUR_ID}>\r\n".encode(), b"")
    assert b"Original-Message-ID" not in raw
    raw = raw.replace(
        b"--M1--",
        b"--M1\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <"
        + samples.OUR_ID.encode()
        + b">\r\n\r\n--M1--",
    )
    assert receipt_message_id(parse_message(raw), raw) == samples.OUR_ID


def test_other_mail_is_no_receipt() -> None:
    assert receipt_message_id(parse_message(samples.PERSON), samples.PERSON) is None


def test_a_sendmail_text_bounce_names_its_recipient_and_our_message() -> None:
    report = _read(samples.SENDMAIL_BOUNCE)
    assert report.format == "text"
    assert report.message_ids == (samples.OUR_ID,)
    assert report.conversation_tokens == (samples.OUR_TOKEN,)
    # the bounce's own To (our address) and the quoted original's To are not failed recipients
    (recipient,) = report.recipients
    assert recipient.address == "compras@example.com.br"
    assert recipient.status == "5.1.1"


def test_every_recipient_group_counts_even_without_a_per_message_group() -> None:
    """Some MTAs leave out the per-message fields; the first recipient must not be taken for them."""
    raw = samples.RFC3464_BOUNCE.replace(
        b"Reporting-MTA: dns; mx.example-exporter.cn\r\nX-Postfix-Queue-ID: AB12C3\r\n"
        b"Arrival-Date: Thu, 26 Nov 2026 09:12:01 +0800\r\n\r\n",
        b"",
    )
    assert b"Reporting-MTA" not in raw
    report = _read(raw)
    assert [recipient.address for recipient in report.recipients] == ["buyer@example.de"]
    assert report.reporting_mta is None


def test_two_recipients_give_two_entries() -> None:
    second = (
        b"Final-Recipient: rfc822; second@example.de\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        b"Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n--B1\r\nContent-Description: Undelivered"
    )
    raw = samples.RFC3464_BOUNCE.replace(b"--B1\r\nContent-Description: Undelivered", second)
    report = _read(raw)
    assert [(r.address, r.status) for r in report.recipients] == [
        ("buyer@example.de", "5.1.1"),
        ("second@example.de", "5.2.2"),
    ]
