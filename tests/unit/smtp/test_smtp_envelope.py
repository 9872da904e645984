"""Envelope rules: which addresses may be sent, which MAIL FROM parameters a message needs, results."""

import pytest

from mailwarden.core import i18n
from mailwarden.core.errors import InputError
from mailwarden.smtp import RecipientResult, SendResult, SMTPError, parse_reply
from mailwarden.smtp.envelope import check_envelope, mail_options, needs_smtputf8

OFFERED = {"pipelining": "", "size": "52428800", "8bitmime": "", "smtputf8": ""}


def test_it_returns_the_recipients_as_a_list() -> None:
    assert check_envelope("a@example.test", ("b@example.test", "c@example.test")) == [
        "b@example.test",
        "c@example.test",
    ]


def test_a_lone_string_is_one_recipient_not_one_per_character() -> None:
    assert check_envelope("a@example.test", "b@example.test") == ["b@example.test"]


def test_the_null_sender_is_allowed() -> None:
    assert check_envelope("", ["b@example.test"]) == ["b@example.test"]


@pytest.mark.parametrize(
    "sender", ["a b@example.test", "a@example.test>", "a@example.test\r\nRCPT TO:<x@y>", "<a@example.test>"]
)
def test_a_sender_that_could_inject_commands_is_refused(sender: str) -> None:
    with pytest.raises(InputError) as caught:
        check_envelope(sender, ["b@example.test"])

    assert caught.value.key == "smtp.bad_sender"


@pytest.mark.parametrize("bad", ["", "x@example.test NOTIFY=NEVER", "x@example.test\x00"])
def test_a_bad_recipient_is_named_by_position_in_both_languages(bad: str) -> None:
    with pytest.raises(InputError) as caught:
        check_envelope("a@example.test", ["ok@example.test", bad])

    assert caught.value.key == "smtp.bad_recipient"
    assert "2" in caught.value.render(i18n.EN)
    assert "第 2 个收件人" in caught.value.render(i18n.ZH)


def test_no_recipients_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        check_envelope("a@example.test", [])

    assert caught.value.key == "smtp.no_recipients"


def test_only_non_ascii_addresses_need_smtputf8() -> None:
    assert needs_smtputf8(["a@example.test", "b@example.test"]) is False
    assert needs_smtputf8(["a@example.test", "销售@例子.测试"]) is True


def test_an_ascii_message_gets_only_a_size() -> None:
    assert mail_options(b"Subject: hi\r\n\r\nhello\r\n", smtputf8=False, offered=OFFERED) == ["SIZE=22"]


def test_an_8bit_message_is_declared_when_the_server_offers_8bitmime() -> None:
    message = "Subject: 询盘\r\n\r\n您好\r\n".encode()

    assert "BODY=8BITMIME" in mail_options(message, smtputf8=False, offered=OFFERED)
    assert "BODY=8BITMIME" not in mail_options(message, smtputf8=False, offered={"size": ""})


def test_smtputf8_comes_first_when_needed() -> None:
    assert mail_options(b"x", smtputf8=True, offered=OFFERED)[0] == "SMTPUTF8"


def test_the_size_counts_bare_line_feeds_as_crlf() -> None:
    """Bare LFs go out as CRLF, so the declared size must count them twice, CRLF pairs once."""
    assert mail_options(b"a\nb\r\nc\n", smtputf8=False, offered={"size": ""}) == ["SIZE=9"]


def test_no_size_when_the_server_does_not_take_it() -> None:
    assert mail_options(b"x", smtputf8=False, offered={}) == []


def test_a_send_result_splits_accepted_from_refused() -> None:
    refusal = SMTPError.from_reply(550, "5.7.1 relay denied", stage="rcpt", host="h", port=587)
    result = SendResult(
        (
            RecipientResult("a@example.test", parse_reply(250, "2.1.5 Ok")),
            RecipientResult("b@elsewhere.test", refusal.reply, refusal),
        ),
        parse_reply(250, "2.0.0 Ok: queued as 4Xyz"),
    )

    assert result.accepted == ("a@example.test",)
    assert result.refused == {"b@elsewhere.test": refusal}
    assert [r.accepted for r in result.recipients] == [True, False]
