"""check_login against the lab's real Postfix (SASL through Dovecot): TLS, AUTH, and the ways they fail."""

import asyncio
import base64
import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest

from mailwarden.core.errors import ConfigError, NetworkError, TLSFailure
from mailwarden.smtp import Password, SMTPAuthError, SubmissionClient, SubmissionSettings, check_login

SettingsFactory = Callable[..., SubmissionSettings]


async def test_it_logs_in_over_starttls(submission: SettingsFactory, mail_user: Any) -> None:
    result = await check_login(submission(), Password(mail_user.address, mail_user.password))

    assert result.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert result.mechanism == "PLAIN"
    assert "PLAIN" in result.auth_mechanisms
    assert "ESMTP" in result.banner
    # RFC 3207: after the upgrade the server no longer offers STARTTLS, and now offers AUTH
    assert "STARTTLS" not in result.extensions
    assert "AUTH" in result.extensions


async def test_it_logs_in_over_implicit_tls(
    submission: SettingsFactory, postfix: Any, mail_user: Any
) -> None:
    settings = submission(port=postfix.smtps_port, tls="implicit")

    result = await check_login(settings, Password(mail_user.address, mail_user.password))

    assert result.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert result.mechanism == "PLAIN"


async def test_a_wrong_password_is_refused_with_535_5_7_8(
    submission: SettingsFactory, mail_user: Any
) -> None:
    with pytest.raises(SMTPAuthError) as caught:
        await check_login(submission(), Password(mail_user.address, mail_user.password + "-wrong"))

    error = caught.value
    assert (error.code, error.enhanced, error.stage) == (535, "5.7.8", "auth")
    assert error.text.startswith("Error: authentication failed")
    assert error.permanent is True
    assert mail_user.password not in str(error)


async def test_starttls_is_required_when_the_server_does_not_offer_it(postfix: Any, mail_user: Any) -> None:
    """GIVEN a Postfix port that offers AUTH but not STARTTLS WHEN tls="starttls"
    THEN the session fails before a credential is sent, instead of going on in plaintext."""
    settings = SubmissionSettings(
        host=postfix.host, port=postfix.plain_auth_port, tls="starttls", timeout=10.0, ca_file=postfix.ca_file
    )

    logged = len(postfix.log_text().splitlines())
    with pytest.raises(TLSFailure) as caught:
        await check_login(settings, Password(mail_user.address, mail_user.password))

    assert caught.value.key == "smtp.starttls_missing"
    assert caught.value.permanent is True
    # Postfix's own account of the session: EHLO (and QUIT), never AUTH
    summary = await _session_summary(postfix, "postfix/plainauth", after=logged)
    assert "auth=" not in summary


async def _session_summary(postfix: Any, service: str, *, after: int) -> str:
    """The "disconnect from ... ehlo=1 quit=1 commands=2" line Postfix logs at the end of a session that
    said EHLO (the lab's port probes at start-up connect and leave without a word), among the log lines
    after the first ``after`` ones: other tests' sessions on the same port are in the log too."""
    for _ in range(100):
        lines = [
            line
            for line in postfix.log_text().splitlines()[after:]
            if service in line and "disconnect from" in line and "ehlo=" in line
        ]
        if lines:
            return str(lines[-1])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no session summary from {service} in the Postfix log")


async def test_a_password_is_not_sent_over_plaintext(submission: SettingsFactory, postfix: Any) -> None:
    async with SubmissionClient(submission(port=postfix.relay_port, tls="none")) as client:
        assert client.tls_version is None
        with pytest.raises(ConfigError) as caught:
            await client.login(Password("nobody@example.test", "secret"))

    assert caught.value.key == "smtp.plaintext_refused"


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_a_certificate_from_an_unknown_ca_is_rejected(
    submission: SettingsFactory, postfix: Any, mail_user: Any, tls: str
) -> None:
    port = postfix.submission_port if tls == "starttls" else postfix.smtps_port
    settings = submission(port=port, tls=tls, ca_file=None)  # system CAs only: the lab CA is not among them

    with pytest.raises(TLSFailure) as caught:
        await check_login(settings, Password(mail_user.address, mail_user.password))

    assert caught.value.key == "tls.verify"
    assert caught.value.permanent is True
    assert (caught.value.host, caught.value.port) == (postfix.host, port)


async def test_a_closed_port_is_a_network_error(submission: SettingsFactory, postfix: Any) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and that nobody listens on
        probe.bind((postfix.host, 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(NetworkError) as caught:
        await check_login(submission(port=closed_port), Password("nobody@example.test", "unused"))

    assert caught.value.key == "net.refused"
    assert (caught.value.host, caught.value.port) == (postfix.host, closed_port)


async def test_a_non_ascii_password_logs_in(submission: SettingsFactory, dovecot: Any) -> None:
    user = dovecot.add_user(password="Пароль-密码-Grüße")

    result = await check_login(submission(), Password(user.address, user.password))

    assert result.mechanism == "PLAIN"


async def test_a_server_that_never_greets_is_a_timeout_not_a_hang(submission: SettingsFactory) -> None:
    with socket.socket() as silent:  # the kernel completes the TCP handshake; nobody ever writes
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = submission(host="127.0.0.1", port=silent.getsockname()[1], timeout=0.5)

        with pytest.raises(NetworkError) as caught:
            await check_login(settings, Password("team@example.test", "secret"))

    assert caught.value.key == "smtp.timeout.greeting"
    assert caught.value.permanent is False


async def test_nothing_logged_shows_the_password_or_the_address(
    submission: SettingsFactory, mail_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    await check_login(submission(), Password(mail_user.address, mail_user.password))
    with pytest.raises(SMTPAuthError):
        await check_login(submission(), Password(mail_user.address, "wrong-" + mail_user.password))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    plain_response = base64.b64encode(f"\0{mail_user.address}\0{mail_user.password}".encode()).decode()
    assert "authenticated" in logged  # the capture works: our own lines are there
    assert mail_user.password not in logged
    assert plain_response not in logged
    assert mail_user.local not in logged
