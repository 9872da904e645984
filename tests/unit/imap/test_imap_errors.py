"""Error mapping at the boundary, ``permanent`` flags, and message keys present in both languages."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from pathlib import Path

import pytest

import mailwarden.imap
from mailwarden.core import i18n
from mailwarden.core.errors import NetworkError, ProtocolError, TLSFailure
from mailwarden.imap import IMAPAuthError, IMAPError, IMAPParseError
from mailwarden.imap.errors import translate_os_error

WHERE = {"host": "mail.example.test", "port": 993}


def _cert_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    return error


@pytest.mark.parametrize(
    ("exc", "kind", "key", "permanent"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), NetworkError, "net.refused", False),
        (TimeoutError(), NetworkError, "net.timeout", False),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), NetworkError, "net.dns", True),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), NetworkError, "net.dns", False),
        (ConnectionResetError(errno.ECONNRESET, "reset"), NetworkError, "net.reset", False),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), NetworkError, "net.unreachable", False),
        (OSError(errno.EHOSTUNREACH, "No route to host"), NetworkError, "net.unreachable", False),
        (_cert_error(), TLSFailure, "tls.verify", True),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            TLSFailure,
            "tls.failed",
            False,
        ),
        (OSError(errno.EMFILE, "Too many open files"), NetworkError, "net.failed", False),
    ],
)
def test_foreign_errors_map_to_ours_with_host_and_port(
    exc: BaseException, kind: type, key: str, permanent: bool
) -> None:
    error = translate_os_error(exc, seconds=30, **WHERE)  # type: ignore[arg-type]

    assert type(error) is kind
    assert (error.key, error.host, error.port, error.permanent) == (key, *WHERE.values(), permanent)
    assert "mail.example.test" in str(error)


def test_a_timeout_says_how_long_it_waited() -> None:
    assert "after 30 s" in str(translate_os_error(TimeoutError(), seconds=30.0, **WHERE))  # type: ignore[arg-type]


def test_a_certificate_error_names_the_reason() -> None:
    assert "unable to get local issuer certificate" in str(translate_os_error(_cert_error(), **WHERE))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "key", "permanent"),
    [
        ("AUTHENTICATIONFAILED", "imap.auth.authenticationfailed", True),
        ("EXPIRED", "imap.auth.expired", True),
        ("CONTACTADMIN", "imap.auth.contactadmin", True),
        ("PRIVACYREQUIRED", "imap.auth.privacyrequired", True),
        ("UNAVAILABLE", "imap.auth.unavailable", False),
        ("LIMIT", "imap.auth.limit", False),
        ("XUNKNOWN", "imap.auth.refused", True),
        (None, "imap.auth.refused", True),
    ],
)
def test_a_refused_login_says_what_to_do_and_whether_to_retry(
    code: str | None, key: str, permanent: bool
) -> None:
    error = IMAPAuthError.refused("NO", code=code, text="Server says no.", command="LOGIN", **WHERE)  # type: ignore[arg-type]

    assert (error.key, error.permanent, error.code, error.text, error.status) == (
        key,
        permanent,
        code,
        "Server says no.",
        "NO",
    )
    assert "Server says no." in str(error)
    assert "Server says no." in error.render(i18n.ZH)


def test_imap_errors_sit_under_protocol_error() -> None:
    assert issubclass(IMAPAuthError, IMAPError)
    assert issubclass(IMAPParseError, IMAPError)
    assert issubclass(IMAPError, ProtocolError)


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [("BYE", None, False), ("BAD", None, True), ("NO", "OVERQUOTA", False), ("NO", "NONEXISTENT", True)],
)
def test_permanence_follows_status_and_code(status: str, code: str | None, permanent: bool) -> None:
    error = IMAPError.from_status(status, code=code, text="t", command="SELECT", **WHERE)  # type: ignore[arg-type]

    assert error.permanent is permanent
    assert error.key == f"imap.{status.lower()}"


def test_every_message_key_the_client_uses_exists_in_both_languages() -> None:
    source = "".join(p.read_text() for p in Path(mailwarden.imap.__file__).parent.glob("*.py"))
    used = set(re.findall(r'"(imap\.[a-z_.]+)"', source))
    used |= {
        f"imap.auth.{code}" for code in ("authenticationfailed", "expired", "contactadmin", "unavailable")
    }

    assert len(used) > 20
    for key in used:
        assert key in i18n.catalog(i18n.EN), key
        assert key in i18n.catalog(i18n.ZH), key
        assert i18n.t(key, i18n.ZH) != i18n.t(key, i18n.EN), key


def test_the_imap_catalogues_hold_the_same_keys() -> None:
    en = {k for k in i18n.catalog(i18n.EN) if k.startswith("imap.")}
    zh = {k for k in i18n.catalog(i18n.ZH) if k.startswith("imap.")}

    assert en == zh
