"""IMAP errors, and the one place where socket and TLS errors become ours.

The tree is the one in ``core/errors.py``::

    ProtocolError
    └── IMAPError          tagged NO/BAD, or BYE: ``code`` (RFC 5530), ``text``, ``command``, ``status``
        ├── IMAPAuthError  the login was refused (LOGIN or AUTHENTICATE)
        └── IMAPParseError the server sent bytes we cannot parse (or more than the configured limits allow)

``permanent`` answers "will retrying the same thing help?". For a refused login that matters twice over:
retrying a wrong password in a loop gets accounts locked by providers, so every auth refusal is permanent
unless the code says the server itself is in trouble (UNAVAILABLE, LIMIT, INUSE, SERVERBUG).

Foreign exceptions are translated here, by :func:`translate_os_error`, and nowhere else: the connection calls
it at every await that touches the socket, so nothing above ``imap`` ever sees an ``OSError`` or
``ssl.SSLError``.
"""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Any, Literal

from mailwarden.core import i18n
from mailwarden.core.errors import NetworkError, ProtocolError, RemoteError, TLSFailure

__all__ = [
    "IMAPAuthError",
    "IMAPError",
    "IMAPParseError",
    "Status",
    "seconds_text",
    "translate_os_error",
]

Status = Literal["NO", "BAD", "BYE"]

#: codes after which the same command, unchanged, may succeed later
_TRANSIENT_CODES = frozenset({"UNAVAILABLE", "LIMIT", "INUSE", "SERVERBUG", "OVERQUOTA", "EXPUNGEISSUED"})
#: codes that say the request itself (or the account) is wrong, whatever the status
_PERMANENT_CODES = frozenset(
    {
        "AUTHENTICATIONFAILED",
        "AUTHORIZATIONFAILED",
        "EXPIRED",
        "CONTACTADMIN",
        "PRIVACYREQUIRED",
        "NOPERM",
        "CANNOT",
        "NONEXISTENT",
        "ALREADYEXISTS",
        "CLIENTBUG",
        "TRYCREATE",
        "BADCHARSET",
    }
)


def _default_permanent(status: str | None, code: str | None) -> bool:
    if code in _TRANSIENT_CODES:
        return False
    if code in _PERMANENT_CODES:
        return True
    # BYE without a reason is a server going away (restart, idle timeout): try again later.
    # NO without a known code is taken as a refusal, so that nothing hammers a server that said no.
    return status != "BYE"


class IMAPError(ProtocolError):
    """The server answered NO or BAD, or said BYE.

    ``text`` is the server's own words, never translated; ``command`` is the command name only (arguments may
    hold secrets); ``code`` is the RFC 5530 response code (``"AUTHENTICATIONFAILED"``, ...) or None.
    """

    default_key = "imap.failed"

    def __init__(
        self,
        key: str | None = None,
        /,
        *,
        status: Status | None = None,
        code: str | None = None,
        text: str = "",
        command: str | None = None,
        host: str = "",
        port: int = 0,
        permanent: bool | None = None,
        **params: Any,
    ) -> None:
        self.status = status
        self.code = code
        self.text = text
        self.command = command
        if permanent is None:
            permanent = _default_permanent(status, code)
        super().__init__(
            key,
            host=host,
            port=port,
            permanent=permanent,
            status=status or "",
            code=code or "",
            text=text,
            command=command or "",
            **params,
        )

    @classmethod
    def from_status(
        cls,
        status: Status,
        *,
        code: str | None,
        text: str,
        command: str | None,
        host: str,
        port: int,
    ) -> IMAPError:
        """The error for a NO/BAD/BYE answer; the message key is chosen from the status."""
        key = {"NO": "imap.no", "BAD": "imap.bad", "BYE": "imap.bye"}[status]
        return cls(key, status=status, code=code, text=text, command=command, host=host, port=port)


class IMAPAuthError(IMAPError):
    """LOGIN or AUTHENTICATE was refused.

    The message key follows the code (``imap.auth.expired``, ``imap.auth.contactadmin``, ...) so the user is
    told what to do about *this* refusal; codes we have no words for fall back to ``imap.auth.refused``.
    ``sasl_detail`` holds what an XOAUTH2 server explained in its error challenge (JSON), if anything.
    """

    default_key = "imap.auth.refused"

    def __init__(
        self,
        key: str | None = None,
        /,
        *,
        sasl_detail: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.sasl_detail = sasl_detail
        super().__init__(key, **kwargs)

    @classmethod
    def refused(
        cls,
        status: Status,
        *,
        code: str | None,
        text: str,
        command: str,
        host: str,
        port: int,
        sasl_detail: str | None = None,
    ) -> IMAPAuthError:
        if status == "BYE":
            key = "imap.bye"
        else:
            key = f"imap.auth.{code.lower()}" if code else "imap.auth.refused"
            if not i18n.has(key):
                key = "imap.auth.refused"
        return cls(
            key,
            status=status,
            code=code,
            text=text,
            command=command,
            host=host,
            port=port,
            sasl_detail=sasl_detail,
        )


class IMAPParseError(IMAPError):
    """The server sent something that is not IMAP, or more than our limits allow.

    Permanent: the same request will meet the same bytes again, and a parser that gives up must not be retried
    in a loop (the sync layer reports it instead).
    """

    default_key = "imap.parse"

    def __init__(self, detail: str, *, host: str = "", port: int = 0) -> None:
        self.detail = detail
        super().__init__("imap.parse", host=host, port=port, permanent=True, detail=detail)


_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.EADDRNOTAVAIL})
_RESET = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
#: getaddrinfo answers that mean "this name does not exist" (a typo), not "the resolver is down"
_DNS_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def translate_os_error(
    exc: BaseException,
    *,
    host: str,
    port: int,
    seconds: float | None = None,
) -> RemoteError:
    """Map a socket, DNS, TLS or timeout error to ``NetworkError`` / ``TLSFailure`` carrying host and port.

    ``seconds`` is the timeout that expired, for the ``net.timeout`` message. Use as
    ``raise translate_os_error(exc, host=..., port=...) from exc``.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or str(exc)
        return TLSFailure("tls.verify", permanent=True, detail=detail, host=host, port=port)
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)  # set by the ssl module, absent on hand-made errors
        return TLSFailure("tls.failed", detail=reason or str(exc), host=host, port=port)
    if isinstance(exc, TimeoutError):
        return NetworkError("net.timeout", seconds=seconds_text(seconds), host=host, port=port)
    if isinstance(exc, socket.gaierror):
        permanent = exc.errno in _DNS_NO_SUCH_NAME
        return NetworkError(
            "net.dns", permanent=permanent, detail=exc.strerror or str(exc), host=host, port=port
        )
    if isinstance(exc, ConnectionRefusedError):
        return NetworkError("net.refused", host=host, port=port)
    if isinstance(exc, _RESET):
        return NetworkError("net.reset", detail=exc.strerror or type(exc).__name__, host=host, port=port)
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return NetworkError("net.unreachable", detail=exc.strerror or str(exc), host=host, port=port)
    if isinstance(exc, (EOFError, ConnectionError)):
        return NetworkError("net.closed", host=host, port=port)
    return NetworkError("net.failed", detail=str(exc) or type(exc).__name__, host=host, port=port)


def seconds_text(value: float | None) -> str:
    """``30`` rather than ``30.0`` in messages, and never a blank."""
    if value is None:
        return "?"
    return f"{value:g}"
