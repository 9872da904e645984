"""Submission settings, credentials and the choice of AUTH mechanism: no server needed."""

import socket

import pytest

from mailwarden.core.errors import ConfigError
from mailwarden.core.tls import client_context
from mailwarden.smtp import OAuth2Token, Password, SubmissionSettings, check_login
from mailwarden.smtp.settings import choose_mechanism


def test_it_prefers_plain_to_login() -> None:
    assert choose_mechanism(Password("u", "p"), ["LOGIN", "PLAIN", "CRAM-MD5"]) == "PLAIN"


def test_it_uses_login_when_plain_is_missing() -> None:
    assert choose_mechanism(Password("u", "p"), ["login", "cram-md5"]) == "LOGIN"


def test_a_token_needs_xoauth2() -> None:
    assert choose_mechanism(OAuth2Token("u", "t"), ["PLAIN", "XOAUTH2"]) == "XOAUTH2"
    assert choose_mechanism(OAuth2Token("u", "t"), ["PLAIN", "LOGIN"]) is None


def test_a_password_is_never_sent_by_xoauth2_or_cram_md5() -> None:
    assert choose_mechanism(Password("u", "p"), ["XOAUTH2", "CRAM-MD5"]) is None


def test_secrets_stay_out_of_repr() -> None:
    shown = repr(Password("team@example.test", "hunter2-密码")) + repr(OAuth2Token("u", "ya29.secret"))

    assert "hunter2" not in shown
    assert "ya29" not in shown


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"tls": "ssl"}, "smtp.bad_tls_mode"),
        ({"port": 0}, "smtp.bad_port"),
        ({"timeout": 0}, "smtp.bad_timeout"),
    ],
)
def test_it_rejects_impossible_settings(changes: dict[str, object], key: str) -> None:
    values: dict[str, object] = {"host": "mail.example.test", "port": 587, **changes}

    with pytest.raises(ConfigError) as caught:
        SubmissionSettings(**values)  # type: ignore[arg-type]

    assert caught.value.key == key


def test_an_unreadable_ca_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        client_context("/nonexistent/ca.pem")

    assert caught.value.key == "tls.ca_file_unusable"


async def test_it_refuses_a_plaintext_login_before_connecting() -> None:
    """GIVEN tls="none" without allow_plaintext and a port where nothing listens
    WHEN checking the login THEN the refusal is about plaintext, so no connection was even tried."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = SubmissionSettings(host="127.0.0.1", port=closed_port, tls="none")

    with pytest.raises(ConfigError) as caught:
        await check_login(settings, Password("u", "p"))

    assert caught.value.key == "smtp.plaintext_refused"
