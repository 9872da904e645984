"""Plain functions of notify: the address guard, pacing, rendering and the vendors' signatures."""

from datetime import UTC, datetime, timedelta

import pytest

from mailwarden.core.errors import InputError
from mailwarden.notify.alerts import Alert, Person, digest, render
from mailwarden.notify.guard import check_url, is_public, redact_url
from mailwarden.notify.pacing import backoff, budget, next_slot
from mailwarden.notify.transports.base import Context, Target
from mailwarden.notify.transports.dingtalk import dingtalk_sign, is_mobile
from mailwarden.notify.transports.email import Email
from mailwarden.notify.transports.feishu import feishu_sign
from mailwarden.notify.transports.http import HTTP

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "fd00::1",
    ],
)
def test_private_loopback_and_metadata_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(address)


def test_a_url_with_a_literal_private_address_is_refused_unless_allowed() -> None:
    with pytest.raises(InputError):
        check_url("http://169.254.169.254/latest/meta-data", allow_private=False)
    assert check_url("http://127.0.0.1:8080/x", allow_private=True)
    with pytest.raises(InputError):
        check_url("ftp://example.com/x", allow_private=False)
    with pytest.raises(InputError):
        check_url("https://user:pw@example.com/x", allow_private=False)


def test_a_shown_url_keeps_no_token() -> None:
    shown = redact_url("https://oapi.dingtalk.com/robot/send?access_token=abcdef")
    assert shown == "https://oapi.dingtalk.com/…"


def test_the_next_slot_keeps_any_sliding_minute_at_the_limit() -> None:
    starts = [T0 + timedelta(seconds=s) for s in range(20)]
    assert next_slot(starts[:19], 20, T0 + timedelta(seconds=20)) is None
    assert next_slot(starts, 20, T0 + timedelta(seconds=20)) == T0 + timedelta(seconds=60)
    assert next_slot(starts, 20, T0 + timedelta(seconds=61)) is None
    assert budget(starts, 20, T0 + timedelta(seconds=30)) == 0


def test_back_off_doubles_up_to_the_cap() -> None:
    delays = [backoff(n, base=15, cap=300).total_seconds() for n in range(1, 8)]
    assert delays == [15, 30, 60, 120, 240, 300, 300]


def test_times_are_shown_in_the_assignees_zone_and_missing_lines_are_left_out() -> None:
    alert = Alert(
        "sla.due_soon",
        "k",
        {"subject": "Quote", "due": "2026-01-01T02:00:00+00:00", "assignee": "Li"},
        mentions=[Person("Li", timezone="Asia/Shanghai")],
    )
    rendered = render(alert, "zh-CN")
    assert rendered.title == "即将超时：Quote"
    assert "回复期限：2026-01-01 10:00 CST" in rendered.lines
    assert not any("{" in line for line in rendered.lines)  # no customer given: that line is gone


def test_a_customer_subject_with_braces_is_shown_as_written() -> None:
    alert = Alert("inquiry.new", "k", {"subject": "Price {urgent}", "customer": "A {B}"})
    rendered = render(alert, "en")
    assert rendered.title == "New inquiry: Price {urgent}"
    assert "From: A {B}" in rendered.lines


def test_a_digest_carries_every_alert_once_and_everyone_mentioned() -> None:
    alerts = [
        Alert("inquiry.new", f"k{n}", {"subject": f"S{n}"}, mentions=[Person(f"P{n % 2}")]) for n in range(5)
    ]
    rendered = digest(alerts, "en")
    assert rendered.covers == tuple(f"k{n}" for n in range(5))
    assert len(rendered.lines) == 5
    assert [p.name for p in rendered.mentions] == ["P0", "P1"]


def test_the_signatures_follow_the_vendors_published_examples() -> None:
    # Vectors from the vendors' Python sample code (Feishu: key "ts\nsecret", empty message; DingTalk: key
    # secret, message "ts\nsecret"), so a change in our signing that still round-trips is caught too.
    assert feishu_sign("demo", 1599360473) == "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
    assert dingtalk_sign("this is secret", 1577808000000) == "ijHEivi6YiCNPZOq4hZstmvZ3sPfbioAiMhP30ae7W0="


def test_a_mobile_number_is_told_from_a_user_id() -> None:
    assert is_mobile("13800138000") and is_mobile("+86-13800138000")
    assert not is_mobile("manager4711") and not is_mobile("ou_abc")


def test_a_subject_with_line_breaks_becomes_a_one_line_title_and_a_valid_mail() -> None:
    """A decoded subject may hold CR/LF (an encoded-word can carry them): as an e-mail header that would be
    a header injection, and EmailMessage refuses it with an exception that stops the worker."""
    alert = Alert("inquiry.new", "k", {"subject": "Offer\r\nBcc: all@example.com", "customer": "A"})
    rendered = render(alert, "en")
    assert rendered.title == "New inquiry: Offer Bcc: all@example.com"
    target = Target("m", "email", "mailto:team@example.com", options={"mailbox": "sales"})
    mail = Email(target, Context(HTTP())).message(rendered, "sales@example.com")
    assert mail["Subject"] == rendered.title and mail["Bcc"] is None
