"""Where aiosmtplib, socket and ssl exceptions become ours (``raise Mapped(...) from exc``).

aiosmtplib wraps most low-level failures in its own classes and keeps the real cause in ``__cause__``
(``SMTPConnectError`` from ``ConnectionRefusedError``, from ``ssl.SSLCertVerificationError``, ...), so the
mapping looks through that chain: what the user needs to hear is "the certificate was not accepted", not
"error connecting". Nothing above this module sees a foreign exception.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosmtplib

from mailwarden.core.errors import MailwardenError, NetworkError, ProtocolError, TLSFailure
from mailwarden.smtp.errors import SMTPAuthError, SMTPError, Stage

__all__ = ["COMMANDS", "boundary", "translate"]

#: the protocol word for each stage, quoted untranslated in messages ("did not answer RCPT TO")
COMMANDS: dict[Stage, str] = {
    "connect": "",
    "ehlo": "EHLO",
    "starttls": "STARTTLS",
    "auth": "AUTH",
    "mail": "MAIL FROM",
    "rcpt": "RCPT TO",
    "data": "DATA",
    "quit": "QUIT",
}

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


@contextmanager
def boundary(stage: Stage, *, host: str, port: int, timeout: float) -> Iterator[None]:
    """Run one step of the session; translate whatever foreign exception it raises. Cancellation passes."""
    try:
        yield
    except (aiosmtplib.SMTPException, OSError) as exc:  # ssl.SSLError and TimeoutError are OSErrors
        raise translate(exc, stage=stage, host=host, port=port, timeout=timeout) from exc


def translate(exc: BaseException, *, stage: Stage, host: str, port: int, timeout: float) -> MailwardenError:
    """The error of ours that says what ``exc``, raised during ``stage``, means to the user."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code < 100:  # aiosmtplib's -1: the reply could not be parsed at all
            return ProtocolError(
                "protocol.unexpected", host=host, port=port, permanent=True, stage=stage, detail=exc.message
            )
        error_class = SMTPAuthError if isinstance(exc, aiosmtplib.SMTPAuthenticationError) else SMTPError
        return error_class.from_reply(exc.code, exc.message, stage=stage, host=host, port=port)
    if isinstance(exc, TimeoutError):  # aiosmtplib's timeouts subclass it
        return _timeout(exc, stage=stage, host=host, port=port, seconds=timeout)
    return _below_smtp(_root_cause(exc), stage=stage, host=host, port=port)


def _timeout(exc: TimeoutError, *, stage: Stage, host: str, port: int, seconds: float) -> NetworkError:
    # A TCP connect that times out is a firewall dropping packets; a server that accepted the connection but
    # never greeted us, or stopped answering mid-session, is a different story and gets a different message.
    silent_server = isinstance(exc, aiosmtplib.SMTPReadTimeoutError) or isinstance(
        exc.__cause__, aiosmtplib.SMTPReadTimeoutError
    )
    if stage == "connect":
        key = "smtp.timeout.greeting" if silent_server else "net.timeout"
    else:
        key = "smtp.timeout.reply"
    return NetworkError(key, host=host, port=port, stage=stage, seconds=seconds, command=COMMANDS[stage])


def _root_cause(exc: BaseException) -> BaseException:
    while isinstance(exc, aiosmtplib.SMTPException) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _below_smtp(root: BaseException, *, stage: Stage, host: str, port: int) -> MailwardenError:
    """Map a failure of DNS, TCP or TLS — or one that aiosmtplib noticed without a reply code."""

    def net(key: str, **detail: Any) -> NetworkError:
        return NetworkError(key, host=host, port=port, stage=stage, **detail)

    if isinstance(root, ssl.SSLCertVerificationError):
        # an untrusted, expired or misnamed certificate stays so until someone changes it
        detail = getattr(root, "verify_message", None) or str(root)
        return TLSFailure("tls.verify", host=host, port=port, permanent=True, stage=stage, detail=detail)
    if isinstance(root, ssl.SSLError):
        # .reason ("WRONG_VERSION_NUMBER") is set only on errors raised by the ssl module itself
        detail = getattr(root, "reason", None) or str(root)
        return TLSFailure("tls.failed", host=host, port=port, stage=stage, detail=detail)
    if isinstance(root, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return net("net.closed")
    if isinstance(root, aiosmtplib.SMTPException):
        # e.g. SMTPNotSupported: the server lacks something the step needs
        return ProtocolError(
            "protocol.unexpected", host=host, port=port, permanent=True, stage=stage, detail=root.message
        )
    if isinstance(root, socket.gaierror):
        return net("net.dns", detail=root.strerror or str(root))
    if isinstance(root, ConnectionRefusedError):
        return net("net.refused")
    if isinstance(root, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return net("net.reset", detail=root.strerror or str(root))
    if isinstance(root, OSError) and root.errno in _UNREACHABLE:
        return net("net.unreachable", detail=root.strerror or str(root))
    return net("net.failed", detail=str(root) or type(root).__name__)
