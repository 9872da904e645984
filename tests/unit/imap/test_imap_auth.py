"""SASL exchanges and the LOGIN/PLAIN choice, without a socket."""

from __future__ import annotations

import base64

import pytest

from mailwarden.core.errors import InputError
from mailwarden.imap.auth import Plain, SaslExchange, XOAuth2, choose_login_method


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def test_plain_is_utf8_authzid_user_password() -> None:
    assert Plain("zh@example.test", "邮箱密码").initial_response() == "\0zh@example.test\0邮箱密码".encode()


def test_with_sasl_ir_the_initial_response_goes_with_the_command() -> None:
    exchange = SaslExchange(Plain("u", "p"), initial_sent=True)

    assert exchange.command_arguments() == [b"PLAIN", b64(b"\0u\0p")]


def test_without_sasl_ir_the_first_continuation_gets_the_initial_response() -> None:
    exchange = SaslExchange(Plain("u", "p"), initial_sent=False)

    assert exchange.command_arguments() == [b"PLAIN"]
    assert exchange.answer(b"") == b64(b"\0u\0p")


def test_plain_cancels_when_the_server_asks_for_more() -> None:
    exchange = SaslExchange(Plain("u", "p"), initial_sent=True)

    assert exchange.answer(b64(b"what else?")) == b"*"


def test_xoauth2_answers_the_error_challenge_with_an_empty_line_and_keeps_it() -> None:
    mechanism = XOAuth2("u@example.test", "ya29.token")
    exchange = SaslExchange(mechanism, initial_sent=True)
    challenge = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'

    assert exchange.command_arguments() == [
        b"XOAUTH2",
        b64(b"user=u@example.test\x01auth=Bearer ya29.token\x01\x01"),
    ]
    assert exchange.answer(b64(challenge)) == b""
    assert mechanism.error_detail == challenge.decode()


def test_a_challenge_that_is_not_base64_is_cancelled() -> None:
    exchange = SaslExchange(XOAuth2("u", "t"), initial_sent=True)

    assert exchange.answer(b"not base64!") == b"*"


@pytest.mark.parametrize(
    "make",
    [lambda: Plain("u", "p\0ss"), lambda: Plain("u\0", "p"), lambda: XOAuth2("u", "tok\x01en")],
    ids=["nul-password", "nul-user", "ctl-token"],
)
def test_credentials_that_would_break_the_framing_are_refused(make: object) -> None:
    with pytest.raises(InputError):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("capabilities", "method"),
    [
        ({"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"}, "PLAIN"),
        ({"IMAP4REV1", "AUTH=PLAIN", "LOGINDISABLED"}, "PLAIN"),
        ({"IMAP4REV1"}, "LOGIN"),
        ({"IMAP4REV1", "STARTTLS", "LOGINDISABLED"}, None),
    ],
)
def test_plain_is_preferred_and_logindisabled_is_respected(
    capabilities: set[str], method: str | None
) -> None:
    assert choose_login_method(frozenset(capabilities)) == method
