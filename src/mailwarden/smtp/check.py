"""``check_login``: what ``mailwarden mailbox test`` asks of the submission server.

A whole session — connect, EHLO, STARTTLS, AUTH, QUIT — that sends no mail, so a user can find out that a
password is wrong or a certificate untrusted before the first reply fails to go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailwarden.core.errors import ConfigError
from mailwarden.smtp.client import SubmissionClient
from mailwarden.smtp.settings import Credentials, SubmissionSettings

__all__ = ["LoginCheck", "check_login"]


@dataclass(frozen=True, slots=True)
class LoginCheck:
    """What a successful check saw: enough for the user to recognise the server and judge its setup."""

    host: str
    port: int
    #: the greeting after "220 ", e.g. "mx.example.com ESMTP Postfix"
    banner: str
    #: EHLO keywords (upper case) and parameters, as offered after TLS
    extensions: Mapping[str, str]
    auth_mechanisms: tuple[str, ...]
    #: the mechanism that logged in
    mechanism: str
    #: "TLSv1.3" and the like; None only with tls="none" and allow_plaintext
    tls_version: str | None


async def check_login(settings: SubmissionSettings, credentials: Credentials) -> LoginCheck:
    """Log in to the submission server and log out again; raise the typed error of the first step that fails.

    Raises ``ConfigError`` before connecting when the settings would send the password unencrypted,
    ``NetworkError``/``TLSFailure`` when the server cannot be reached safely, ``SMTPAuthError`` when the login
    is refused, and ``SMTPError``/``ProtocolError`` when the server refuses or misbehaves otherwise.
    """
    if settings.tls == "none" and not settings.allow_plaintext:
        raise ConfigError("smtp.plaintext_refused", host=settings.host, port=settings.port)
    async with SubmissionClient(settings) as client:
        mechanism = await client.login(credentials)
        return LoginCheck(
            host=settings.host,
            port=settings.port,
            banner=client.banner,
            extensions=client.extensions,
            auth_mechanisms=client.auth_mechanisms,
            mechanism=mechanism,
            tls_version=client.tls_version,
        )
