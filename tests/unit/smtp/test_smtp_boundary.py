"""Foreign exceptions — as aiosmtplib, socket and ssl raise them — become errors from our tree."""

import errno
import socket
import ssl

import aiosmtplib
import pytest

from mailwarden.core import i18n
from mailwarden.core.errors import MailwardenError, NetworkError, ProtocolError, TLSFailure
from mailwarden.smtp import SMTPAuthError, SMTPError, Stage
from mailwarden.smtp.boundary import boundary, translate

HOST, PORT = "mail.example.test", 587


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


def _translate(exc: BaseException, stage: Stage = "connect") -> MailwardenError:
    return translate(exc, stage=stage, host=HOST, port=PORT, timeout=7.5)


def test_a_refused_auth_becomes_smtp_auth_error() -> None:
    error = _translate(aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Error: authentication failed"), "auth")

    assert isinstance(error, SMTPAuthError)
    assert (error.code, error.enhanced, error.stage) == (535, "5.7.8", "auth")
    assert (error.host, error.port) == (HOST, PORT)


def test_a_refused_recipient_becomes_smtp_error_for_its_stage() -> None:
    error = _translate(aiosmtplib.SMTPRecipientRefused(550, "5.1.1 <x@y>: unknown", "x@y"), "rcpt")

    assert type(error) is SMTPError
    assert (error.code, error.enhanced, error.text, error.stage) == (550, "5.1.1", "<x@y>: unknown", "rcpt")


def test_a_bad_greeting_becomes_smtp_error_at_connect() -> None:
    error = _translate(aiosmtplib.SMTPConnectResponseError(554, "5.3.2 Service currently unavailable"))

    assert isinstance(error, SMTPError)
    assert error.stage == "connect"
    assert error.key == "smtp.refused.connect"


def test_an_unparseable_reply_is_a_protocol_error() -> None:
    error = _translate(aiosmtplib.SMTPResponseException(-1, "Malformed SMTP response line: HTTP/1.1"), "ehlo")

    assert type(error) is ProtocolError
    assert error.permanent is True


def test_refused_connection_is_net_refused() -> None:
    cause = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    error = _translate(_chained(aiosmtplib.SMTPConnectError("Error connecting"), cause))

    assert isinstance(error, NetworkError)
    assert error.key == "net.refused"
    assert (error.host, error.port) == (HOST, PORT)


def test_unknown_name_is_net_dns() -> None:
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    error = _translate(_chained(aiosmtplib.SMTPConnectError("Error connecting"), cause))

    assert error.key == "net.dns"
    assert "Name or service not known" in error.render(i18n.EN)


@pytest.mark.parametrize("code", [errno.ENETUNREACH, errno.EHOSTUNREACH])
def test_unreachable_is_net_unreachable(code: int) -> None:
    error = _translate(_chained(aiosmtplib.SMTPConnectError("x"), OSError(code, "No route to host")))

    assert error.key == "net.unreachable"


def test_a_reset_is_net_reset() -> None:
    error = _translate(
        _chained(aiosmtplib.SMTPServerDisconnected("lost"), ConnectionResetError(104, "reset"))
    )

    assert error.key == "net.reset"


def test_a_disconnect_without_cause_is_net_closed() -> None:
    error = _translate(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"), "data")

    assert isinstance(error, NetworkError)
    assert error.key == "net.closed"


def test_a_tcp_connect_timeout_is_net_timeout_with_seconds() -> None:
    error = _translate(_chained(aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"), TimeoutError()))

    assert error.key == "net.timeout"
    assert "7.5" in error.render(i18n.EN)
    assert "7.5" in error.render(i18n.ZH)


def test_a_silent_server_is_not_blamed_on_a_firewall() -> None:
    read_timeout = aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response")
    error = _translate(_chained(aiosmtplib.SMTPConnectTimeoutError("no greeting"), read_timeout))

    assert error.key == "smtp.timeout.greeting"


def test_a_timeout_mid_session_names_the_command() -> None:
    error = _translate(aiosmtplib.SMTPReadTimeoutError("Timed out"), "rcpt")

    assert isinstance(error, NetworkError)
    assert error.key == "smtp.timeout.reply"
    assert "RCPT TO" in error.render(i18n.EN)
    assert "RCPT TO" in error.render(i18n.ZH)


def test_an_untrusted_certificate_is_a_permanent_tls_verify_failure() -> None:
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    cause.verify_message = "unable to get local issuer certificate"
    error = _translate(_chained(aiosmtplib.SMTPConnectError("Error connecting"), cause))

    assert isinstance(error, TLSFailure)
    assert error.key == "tls.verify"
    assert error.permanent is True
    assert "unable to get local issuer certificate" in error.render(i18n.ZH)


def test_a_raw_ssl_error_from_starttls_is_tls_failed() -> None:
    error = _translate(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "starttls")

    assert isinstance(error, TLSFailure)
    assert error.key == "tls.failed"


def test_a_missing_extension_is_a_protocol_error() -> None:
    error = _translate(aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server"), "mail")

    assert type(error) is ProtocolError
    assert "SMTPUTF8" in str(error)


def test_the_boundary_chains_the_original() -> None:
    original = aiosmtplib.SMTPServerDisconnected("Connection lost")

    with pytest.raises(NetworkError) as caught, boundary("quit", host=HOST, port=PORT, timeout=1.0):
        raise original

    assert caught.value.__cause__ is original
    assert caught.value.params["stage"] == "quit"


def test_the_boundary_lets_our_own_errors_and_bugs_through() -> None:
    with pytest.raises(ValueError, match="a bug"), boundary("ehlo", host=HOST, port=PORT, timeout=1.0):
        raise ValueError("a bug")
