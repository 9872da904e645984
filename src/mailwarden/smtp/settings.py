"""How to reach a submission server, and with which credentials.

Plain values, so that callers (mailbox settings, the CLI, tests) build them without touching the network.
Secrets are fields with ``repr=False``: a settings object in a log line or a traceback shows no password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from mailwarden.core.errors import ConfigError

__all__ = [
    "TLS_MODES",
    "Credentials",
    "OAuth2Token",
    "Password",
    "SubmissionSettings",
    "TLSMode",
    "choose_mechanism",
]

TLSMode = Literal["implicit", "starttls", "none"]
TLS_MODES: tuple[TLSMode, ...] = get_args(TLSMode)


@dataclass(frozen=True, slots=True)
class SubmissionSettings:
    """One submission server.

    ``tls``: ``"implicit"`` speaks TLS from the first byte (port 465); ``"starttls"`` upgrades a plain
    connection and *fails* when the server does not offer STARTTLS (port 587) — falling back to plaintext
    would hand the password to whoever stripped the STARTTLS line; ``"none"`` never encrypts, and then
    credentials are refused unless ``allow_plaintext`` says the network is trusted.
    Certificates are always verified, against the system's CAs plus ``ca_file`` when given.
    ``timeout`` bounds the connection and each reply, in seconds.
    """

    host: str
    port: int
    tls: TLSMode = "starttls"
    ca_file: str | Path | None = None
    timeout: float = 30.0
    allow_plaintext: bool = False
    #: the name we give in EHLO; None asks the system for its fully qualified name
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ConfigError("smtp.bad_tls_mode", value=self.tls)
        if not 0 < self.port < 65536:
            raise ConfigError("smtp.bad_port", value=self.port)
        if self.timeout <= 0:
            raise ConfigError("smtp.bad_timeout", value=self.timeout)


@dataclass(frozen=True, slots=True)
class Password:
    """A user name and password, for AUTH PLAIN or LOGIN. Any Unicode password works: both send UTF-8."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class OAuth2Token:
    """A user name and an OAuth2 access token, for AUTH XOAUTH2 (Gmail, Microsoft 365)."""

    username: str
    token: str = field(repr=False)


Credentials = Password | OAuth2Token


def choose_mechanism(credentials: Credentials, offered: Iterable[str]) -> str | None:
    """The AUTH mechanism to use, or None when the server offers none that fits the credentials.

    PLAIN comes before LOGIN: it takes one round trip and RFC 4616 defines it as UTF-8, while LOGIN was never
    standardised. Only one mechanism is ever tried: each refused attempt counts towards the provider's
    lockout (fail2ban, Microsoft smart lockout), so after a refusal we report it instead of trying the next.
    """
    available = {name.upper() for name in offered}
    wanted = ("XOAUTH2",) if isinstance(credentials, OAuth2Token) else ("PLAIN", "LOGIN")
    return next((name for name in wanted if name in available), None)
