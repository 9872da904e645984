"""E-mail through one of mailwarden's own mailboxes: ``--url mailto:a@example.com,b@example.com
--mailbox sales`` sends from that mailbox's submission server with its stored credential.

A mentioned person is put on Cc with their own address, which is what an @mention means in mail. The
Message-ID is derived from the alert, so a mail client shows a repeat as the same message.

What a refusal condemns follows the SMTP stage it came in: a permanent (5xx) refusal of the session, the
login, the sender or every recipient is the channel's configuration (every alert would fail alike), so the
channel is disabled and shows the server's reply; a permanent refusal of the message itself (at DATA: the
content, the size) fails that alert only. A temporary refusal (4xx) or a network failure is tried again
later. The server's reply is kept as the receiver's answer (``status`` is its SMTP code). A recipient refused
while others were accepted does not stop the alert; the refusal is part of the recorded answer.

A session cut after the message's final dot but before the server's reply is retried (decision 0005): SMTP
has no way to ask whether it was queued, and the stable Message-ID lets clients show a repeat as one.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from mailwarden.core import i18n
from mailwarden.core.errors import ConfigError, InputError, RemoteError
from mailwarden.mailboxes import service as mailboxes
from mailwarden.notify.alerts import Rendered
from mailwarden.notify.errors import DeliveryError
from mailwarden.notify.transports.base import Transport
from mailwarden.smtp import (
    Credentials,
    OAuth2Token,
    Password,
    SendResult,
    SMTPError,
    SubmissionClient,
    SubmissionSettings,
)

__all__ = ["Email", "recipients"]


def recipients(url: str) -> list[str]:
    """The addresses of a ``mailto:`` URL (RFC 6068: comma-separated, percent-encoded)."""
    parts = urlsplit(url)
    if parts.scheme != "mailto" or not parts.path:
        raise InputError("notify.bad_mailto", url=url)
    addresses = [unquote(a).strip() for a in parts.path.split(",") if a.strip()]
    for address in addresses:
        if address.count("@") != 1 or not all(address.split("@")) or any(c in address for c in " <>\r\n"):
            raise InputError("notify.bad_mailto", url=url)
    return addresses


class Email(Transport):
    kind: ClassVar[str] = "email"
    schemes = ("mailto",)

    def message(self, message: Rendered, sender: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = sender
        mail["To"] = ", ".join(recipients(self.target.url))
        cc = [p.email for p in message.mentions if p.email]
        if cc:
            mail["Cc"] = ", ".join(cc)
        mail["Subject"] = message.title
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.message_id}@{sender.rsplit('@', 1)[-1]}>"
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
        lines = [*message.lines]
        if message.link:
            lines += ["", f"{message.link_label}: {message.link}"]
        names = [p.name for p in message.mentions]
        if names:
            lines += ["", "@" + ", @".join(names)]
        mail.set_content("\n".join(lines) + "\n")
        return mail

    async def send(self, message: Rendered) -> str:
        name = self.target.options.get("mailbox")
        db, box = self.context.db, self.context.box
        if not name or db is None:
            raise ConfigError("notify.email_needs_mailbox", name=self.target.name)
        mailbox = await mailboxes.get_mailbox(db, str(name))
        secret = mailboxes.credential(mailbox, box)
        settings = SubmissionSettings(
            host=mailbox.smtp_host,
            port=mailbox.smtp_port,
            tls=mailbox.smtp_tls,  # type: ignore[arg-type]  # held to the three modes by a CHECK constraint
            ca_file=mailbox.ca_file,
            timeout=self.context.http.timeout,
            allow_plaintext=mailbox.allow_plaintext,
        )
        credentials: Credentials = (
            OAuth2Token(mailbox.username, secret.reveal())
            if mailbox.credential_kind == "oauth2_token"
            else Password(mailbox.username, secret.reveal())
        )
        mail = self.message(message, mailbox.address)
        rcpt = list(
            dict.fromkeys(recipients(self.target.url) + [p.email for p in message.mentions if p.email])
        )
        try:
            async with SubmissionClient(settings) as client:
                await client.login(credentials)
                result = await client.send(mail.as_bytes(policy=SMTP), mailbox.address, rcpt)
        except SMTPError as exc:
            raise DeliveryError(
                "notify.smtp_refused",
                host=exc.host,
                port=exc.port,
                permanent=exc.permanent,
                scope="message" if exc.stage == "data" else "channel",
                status=exc.code,
                answer=_answer(exc),
            ) from exc
        except RemoteError as exc:
            if not exc.permanent:
                raise  # network trouble, a timeout: tried again later
            # the server cannot be used as set up (no STARTTLS, no usable AUTH, no SMTPUTF8): every alert
            # would fail the same way, so the channel stops and says why
            raise DeliveryError(
                "notify.smtp_refused",
                host=exc.host,
                port=exc.port,
                permanent=True,
                scope="channel",
                answer=exc.render(i18n.EN),
            ) from exc
        return _accepted(result)


def _answer(exc: SMTPError) -> str:
    """The server's reply as sent; for "every recipient refused", each recipient's own reply."""
    if exc.refused:
        return "; ".join(f"{address}: {error.reply}" for address, error in exc.refused.items())
    return str(exc.reply)


def _accepted(result: SendResult) -> str:
    answer = f"{result.reply.code} {result.reply.text}".strip()
    if result.refused:
        answer += " (refused: " + "; ".join(f"{a}: {r.reply}" for a, r in result.refused.items()) + ")"
    return answer
