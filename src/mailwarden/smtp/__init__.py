"""SMTP submission: a thin, typed wrapper around aiosmtplib.

``check_login`` tests a mailbox's submission settings; ``SubmissionClient`` holds a session for sending.
Every failure is an error from the core tree (``SMTPError``/``SMTPAuthError`` for refusals, ``NetworkError``,
``TLSFailure``, ``ProtocolError``, ``ConfigError``), never an aiosmtplib, socket or ssl exception.
"""

from mailwarden.smtp.check import LoginCheck, check_login
from mailwarden.smtp.client import SubmissionClient
from mailwarden.smtp.envelope import RecipientResult, SendResult
from mailwarden.smtp.errors import STAGES, SMTPAuthError, SMTPError, Stage
from mailwarden.smtp.settings import (
    TLS_MODES,
    Credentials,
    OAuth2Token,
    Password,
    SubmissionSettings,
    TLSMode,
)
from mailwarden.smtp.status import EnhancedStatus, Reply, is_permanent, parse_reply

__all__ = [
    "STAGES",
    "TLS_MODES",
    "Credentials",
    "EnhancedStatus",
    "LoginCheck",
    "OAuth2Token",
    "Password",
    "RecipientResult",
    "Reply",
    "SMTPAuthError",
    "SMTPError",
    "SendResult",
    "Stage",
    "SubmissionClient",
    "SubmissionSettings",
    "TLSMode",
    "check_login",
    "is_permanent",
    "parse_reply",
]
