"""The one door every login attempt of a diagnosis goes through (see :mod:`mailwarden.diagnose.ratelimit`).

Probes ask :meth:`LoginPolicy.may_login` before they send a password and report what came of it; the
policy decides from the ledger of earlier runs, and from this run: SMTP waits for the IMAP attempt, and a
password IMAP just refused is not sent again over SMTP.
"""

from __future__ import annotations

from typing import Protocol as TypingProtocol

from mailwarden.diagnose.evidence import LoginOutcome
from mailwarden.diagnose.evidence import Protocol as MailProtocol

__all__ = ["LoginPolicy", "server_text"]


class LoginPolicy(TypingProtocol):
    async def may_login(self, protocol: MailProtocol, host: str) -> LoginOutcome | None:
        """None: go ahead (exactly once). Otherwise the skipped outcome to report instead."""
        ...

    async def settled(self, protocol: MailProtocol, host: str, outcome: LoginOutcome | None) -> None:
        """The attempt's outcome (None when the probe never got as far as a login)."""
        ...


def server_text(text: str) -> str:
    """A server's words as it meant them. aiosmtplib keeps undecodable bytes as surrogates: those are GBK
    (Chinese providers answer in it) far more often than anything else."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")
