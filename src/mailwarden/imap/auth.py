"""SASL for IMAP AUTHENTICATE (PLAIN, XOAUTH2) and the choice between LOGIN and PLAIN.

Plain functions and small classes without a socket (STYLE habit 4): the connection feeds challenges in and
sends what comes out, so the odd corners -- the XOAUTH2 error challenge, a server asking for more than PLAIN
has, a password with a NUL -- are tested without a server.

Why PLAIN over LOGIN when both are offered: PLAIN is defined on UTF-8 (RFC 4616), LOGIN's astring has no
charset at all, so a password such as ``邮箱密码2026`` is unambiguous only with PLAIN. LOGIN remains for
servers that do not offer AUTH=PLAIN; with LOGINDISABLED and no PLAIN there is nothing we may use.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from mailwarden.core.errors import InputError

__all__ = ["Mechanism", "Plain", "SaslExchange", "XOAuth2", "choose_login_method"]

#: what a client sends to abort an AUTHENTICATE exchange (RFC 3501 6.2.2)
CANCEL = b"*"


class _Cancel(Exception):
    """Internal: the server asked for something this mechanism cannot give."""


class Mechanism:
    """A client-first SASL mechanism: one initial response, then answers to challenges."""

    name: str
    #: what the server explained when it refused (XOAUTH2 sends JSON), for the error message
    error_detail: str | None = None

    def initial_response(self) -> bytes:
        raise NotImplementedError

    def respond(self, challenge: bytes) -> bytes:
        """Answer a challenge that came after the initial response."""
        raise _Cancel


def _no_nul(**fields: str) -> None:
    for name, value in fields.items():
        if "\x00" in value:
            raise InputError("imap.argument", detail=f"the {name} contains a NUL character")


class Plain(Mechanism):
    """RFC 4616: ``authzid NUL authcid NUL passwd`` in UTF-8, and nothing more."""

    name = "PLAIN"

    def __init__(self, username: str, password: str, authzid: str = "") -> None:
        _no_nul(username=username, password=password, authzid=authzid)
        self._message = f"{authzid}\x00{username}\x00{password}".encode()

    def initial_response(self) -> bytes:
        return self._message


class XOAuth2(Mechanism):
    """Google/Microsoft XOAUTH2: ``user=U ^A auth=Bearer T ^A ^A``.

    A refused token makes the server send one more challenge: base64 JSON such as
    ``{"status":"401","schemes":"bearer","scope":"..."}``. The client must answer with an empty response; the
    tagged NO follows. The JSON is kept in ``error_detail`` for the error message.
    """

    name = "XOAUTH2"

    def __init__(self, username: str, access_token: str) -> None:
        if any(c in username + access_token for c in "\x00\x01\r\n"):
            raise InputError("imap.argument", detail="the user name or token contains a control character")
        self._message = f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()

    def initial_response(self) -> bytes:
        return self._message

    def respond(self, challenge: bytes) -> bytes:
        self.error_detail = challenge.decode("utf-8", "replace")
        return b""


class SaslExchange:
    """Turns continuation requests into base64 answer lines for one AUTHENTICATE command.

    ``initial_sent``: the initial response already went out with the command (SASL-IR, RFC 4959); otherwise
    the first ``+`` is answered with it.
    """

    def __init__(self, mechanism: Mechanism, *, initial_sent: bool) -> None:
        self.mechanism = mechanism
        self._initial_sent = initial_sent

    def command_arguments(self) -> list[bytes]:
        """The arguments after AUTHENTICATE: the mechanism, and with SASL-IR the initial response."""
        if not self._initial_sent:
            return [self.mechanism.name.encode("ascii")]
        initial = base64.b64encode(self.mechanism.initial_response())
        return [self.mechanism.name.encode("ascii"), initial or b"="]  # "=" is an empty initial response

    def answer(self, data: bytes) -> bytes:
        """The line to send for the challenge ``data`` (base64, as it came after ``+ ``)."""
        if not self._initial_sent:
            self._initial_sent = True
            return base64.b64encode(self.mechanism.initial_response())
        try:
            challenge = base64.b64decode(data, validate=True)
            return base64.b64encode(self.mechanism.respond(challenge))
        except (_Cancel, binascii.Error):
            return CANCEL


def choose_login_method(capabilities: frozenset[str]) -> Literal["PLAIN", "LOGIN"] | None:
    """PLAIN if offered; LOGIN unless LOGINDISABLED; None when the server leaves us no way in."""
    if "AUTH=PLAIN" in capabilities:
        return "PLAIN"
    if "LOGINDISABLED" in capabilities:
        return None
    return "LOGIN"
