"""``mailbox test``: one IMAP login and one SMTP login, side by side, each reported with the server's words.

Exactly one login attempt per protocol: a second try with the same wrong password only brings the account
closer to the provider's lockout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from mailwarden.core import i18n
from mailwarden.core.errors import MailwardenError
from mailwarden.core.secrets import SecretValue
from mailwarden.imap.errors import IMAPError
from mailwarden.mailboxes.connect import open_imap
from mailwarden.mailboxes.models import Mailbox
from mailwarden.smtp.check import check_login
from mailwarden.smtp.errors import SMTPError
from mailwarden.smtp.settings import Credentials, OAuth2Token, Password, SubmissionSettings

__all__ = ["MailboxReport", "ProtocolReport", "check_mailbox"]

log = logging.getLogger(__name__)


@dataclass
class ProtocolReport:
    protocol: str  # "imap" | "smtp"
    host: str
    port: int
    tls: str
    elapsed_ms: int = 0
    error: MailwardenError | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def server_answer(self) -> str | None:
        """The server's reply exactly as sent (``NO [AUTHENTICATIONFAILED] ...``, ``535 5.7.8 ...``)."""
        if isinstance(self.error, IMAPError) and self.error.status:
            code = f" [{self.error.code}]" if self.error.code else ""
            return f"{self.error.status}{code} {self.error.text}".rstrip()
        if isinstance(self.error, SMTPError):
            return str(self.error.reply)
        return None

    def as_dict(self, lang: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "elapsed_ms": self.elapsed_ms,
            **self.details,
        }
        if self.error is not None:
            error = self.error.as_dict(lang)
            error["permanent"] = self.error.permanent
            error["server_answer"] = self.server_answer
            if isinstance(self.error, IMAPError):
                error.update(status=self.error.status, code=self.error.code, text=self.error.text)
            elif isinstance(self.error, SMTPError):
                error.update(
                    code=self.error.code,
                    enhanced=self.error.enhanced,
                    text=self.error.text,
                    stage=self.error.stage,
                )
            data["error"] = error
        return data


@dataclass
class MailboxReport:
    mailbox: str
    address: str
    username: str
    imap: ProtocolReport
    smtp: ProtocolReport

    @property
    def ok(self) -> bool:
        return self.imap.ok and self.smtp.ok

    def as_dict(self, lang: str = i18n.EN) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "address": self.address,
            "username": self.username,
            "ok": self.ok,
            "imap": self.imap.as_dict(lang),
            "smtp": self.smtp.as_dict(lang),
        }


async def _imap(mailbox: Mailbox, secret: SecretValue, step_timeout: float, report: ProtocolReport) -> None:
    async with await open_imap(mailbox, secret, step_timeout=step_timeout) as client:
        report.details["capabilities"] = sorted(client.capabilities)
        await client.logout()


async def _smtp(mailbox: Mailbox, secret: SecretValue, step_timeout: float, report: ProtocolReport) -> None:
    settings = SubmissionSettings(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        tls=mailbox.smtp_tls,  # type: ignore[arg-type]  # held to the three modes by a CHECK constraint
        ca_file=mailbox.ca_file,
        timeout=step_timeout,
        allow_plaintext=mailbox.allow_plaintext,
    )
    credentials: Credentials = (
        OAuth2Token(mailbox.username, secret.reveal())
        if mailbox.credential_kind == "oauth2_token"
        else Password(mailbox.username, secret.reveal())
    )
    result = await check_login(settings, credentials)
    report.details.update(
        banner=result.banner,
        method=result.mechanism,
        auth_mechanisms=list(result.auth_mechanisms),
        tls_version=result.tls_version,
    )


async def _timed(report: ProtocolReport, step: Any) -> None:
    started = time.monotonic()
    try:
        await step
    except MailwardenError as exc:
        report.error = exc
        log.info("%s check of %s:%s failed: %s", report.protocol, report.host, report.port, exc.kind)
    finally:
        report.elapsed_ms = round((time.monotonic() - started) * 1000)


async def check_mailbox(
    mailbox: Mailbox, secret: SecretValue, *, step_timeout: float = 20.0
) -> MailboxReport:
    """Log in over IMAP and SMTP at once; every failure is captured in the report, typed."""
    imap = ProtocolReport("imap", mailbox.imap_host, mailbox.imap_port, mailbox.imap_tls)
    smtp = ProtocolReport("smtp", mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_tls)
    await asyncio.gather(
        _timed(imap, _imap(mailbox, secret, step_timeout, imap)),
        _timed(smtp, _smtp(mailbox, secret, step_timeout, smtp)),
    )
    return MailboxReport(mailbox.name, mailbox.address, mailbox.username, imap, smtp)
