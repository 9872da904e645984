"""One session with a submission server: connect (TLS), EHLO, AUTH, send, QUIT — over aiosmtplib.

aiosmtplib does the wire work; this module decides policy (STARTTLS is required, not opportunistic; no
password over plaintext; one AUTH mechanism, never a round of guesses) and turns every failure into an
error from our tree, tagged with the stage it happened in. Nothing here logs a password, an AUTH exchange
or a mail address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

import aiosmtplib

from mailwarden.core.errors import ConfigError, MailwardenError, NetworkError, ProtocolError, TLSFailure
from mailwarden.core.tls import client_context
from mailwarden.smtp.boundary import boundary
from mailwarden.smtp.envelope import (
    RecipientResult,
    SendResult,
    check_envelope,
    mail_options,
    needs_smtputf8,
)
from mailwarden.smtp.errors import SMTPError, Stage
from mailwarden.smtp.settings import (
    Credentials,
    OAuth2Token,
    SubmissionSettings,
    choose_mechanism,
)
from mailwarden.smtp.status import parse_reply

__all__ = ["SubmissionClient"]

log = logging.getLogger(__name__)


class SubmissionClient:
    """A submission session. ``async with SubmissionClient(settings) as client:`` connects and, on the way
    out, says QUIT (or just closes, when the connection is already gone or the task was cancelled)."""

    def __init__(self, settings: SubmissionSettings) -> None:
        self.settings = settings
        self.banner = ""
        self._smtp: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or isinstance(exc, Exception):  # not on cancellation: nothing more to await then
            try:
                await self.quit()
            except MailwardenError as error:
                # QUIT cannot undo what the session did; raising here would make a delivered message look
                # failed and invite a duplicate, or hide the error that brought us here.
                log.warning("QUIT to %s:%s failed: %s", self.settings.host, self.settings.port, error)
        self.close()

    # -- session ------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, read the greeting, EHLO; with ``tls="starttls"``, upgrade and EHLO again."""
        if self._smtp is not None and self._smtp.is_connected:
            raise RuntimeError("the SMTP session is connected already")
        self.close()  # what is left of a session the server ended
        s = self.settings
        context = None if s.tls == "none" else await asyncio.to_thread(client_context, s.ca_file)
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout,
            local_hostname=s.local_hostname,
            use_tls=s.tls == "implicit",
            start_tls=False,  # we do it below, and refuse to go on without it
            tls_context=context,
        )
        try:
            with self._boundary("connect"):
                greeting = await smtp.connect()
        except BaseException:
            # aiosmtplib leaves the transport open when the greeting never comes (a silent server)
            smtp.close()
            raise
        self._smtp = smtp
        self.banner = greeting.message
        try:
            await self._ehlo(smtp)
            if s.tls == "starttls":
                await self._starttls(smtp)
        except MailwardenError:
            self.close()
            raise
        log.debug("connected to %s:%s, TLS %s", s.host, s.port, self.tls_version or "off")

    async def _ehlo(self, smtp: aiosmtplib.SMTP) -> None:
        with self._boundary("ehlo"):
            await smtp.ehlo()

    async def _starttls(self, smtp: aiosmtplib.SMTP) -> None:
        if not smtp.supports_extension("starttls"):
            raise TLSFailure(
                "smtp.starttls_missing",
                host=self.settings.host,
                port=self.settings.port,
                permanent=True,
                stage="starttls",
            )
        with self._boundary("starttls"):
            await smtp.starttls()
        # RFC 3207 §4.2: what the server said before TLS may have been forged, so ask again
        await self._ehlo(smtp)

    async def login(self, credentials: Credentials) -> str:
        """Authenticate; return the mechanism used. Raises ``SMTPAuthError`` when the server refuses."""
        smtp = self._connected()
        s = self.settings
        if self.tls_version is None and not s.allow_plaintext:
            raise ConfigError("smtp.plaintext_refused", host=s.host, port=s.port)
        mechanism = choose_mechanism(credentials, self.auth_mechanisms)
        if mechanism is None:
            usable = "XOAUTH2" if isinstance(credentials, OAuth2Token) else "PLAIN, LOGIN"
            offered = ", ".join(self.auth_mechanisms) or "-"
            raise ProtocolError(
                "smtp.auth_unsupported",
                host=s.host,
                port=s.port,
                permanent=True,
                stage="auth",
                offered=offered,
                usable=usable,
            )
        with self._boundary("auth"):
            if isinstance(credentials, OAuth2Token):
                await smtp.auth_xoauth2(credentials.username, credentials.token)
            elif mechanism == "PLAIN":
                await smtp.auth_plain(credentials.username, credentials.password)
            else:
                await smtp.auth_login(credentials.username, credentials.password)
        log.debug("authenticated to %s:%s with %s", s.host, s.port, mechanism)
        return mechanism

    async def quit(self) -> None:
        """Say QUIT and close. Closing happens even when QUIT fails."""
        smtp = self._smtp
        try:
            if smtp is not None and smtp.is_connected:
                with self._boundary("quit"):
                    await smtp.quit()
        finally:
            self.close()

    def close(self) -> None:
        """Drop the connection without a word (after a failure, or on cancellation)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    # -- what the server told us ---------------------------------------------------------------------------

    @property
    def extensions(self) -> Mapping[str, str]:
        """The EHLO keywords (upper case) and their parameters, from the latest EHLO (after TLS, if any)."""
        smtp = self._connected()
        return {name.upper(): params for name, params in smtp.esmtp_extensions.items()}

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms the server offers, upper case, in its order, without repeats."""
        smtp = self._connected()
        return tuple(dict.fromkeys(name.upper() for name in smtp.server_auth_methods))

    @property
    def tls_version(self) -> str | None:
        """``"TLSv1.3"`` and the like, or None on an unencrypted connection."""
        smtp = self._connected()
        ssl_object = smtp.get_transport_info("ssl_object")
        return None if ssl_object is None else str(ssl_object.version())

    # -- sending --------------------------------------------------------------------------------------------

    async def send(self, message: bytes, mail_from: str, rcpt_to: Sequence[str]) -> SendResult:
        """Submit ``message`` (the raw bytes, headers included) from ``mail_from`` to each of ``rcpt_to``.

        Returns when the server accepted the message for at least one recipient; each refused recipient is in
        ``SendResult.refused``. Raises ``SMTPError`` when the sender, all recipients, or the data is refused.
        """
        smtp = self._connected()
        recipients = check_envelope(mail_from, rcpt_to)
        smtputf8 = needs_smtputf8([mail_from, *recipients])
        if smtputf8 and not smtp.supports_extension("smtputf8"):
            s = self.settings
            raise ProtocolError(
                "smtp.smtputf8_missing", host=s.host, port=s.port, permanent=True, stage="mail"
            )
        options = mail_options(message, smtputf8=smtputf8, offered=smtp.esmtp_extensions)
        encoding = "utf-8" if smtputf8 else "ascii"
        try:
            with self._boundary("mail"):
                await smtp.mail(mail_from, options=options, encoding=encoding)
            results = tuple([await self._rcpt(smtp, address, encoding) for address in recipients])
            if all(r.error is not None for r in results):
                raise self._all_refused(results)
            with self._boundary("data"):
                response = await smtp.data(message)
        except SMTPError:
            await self._reset(smtp)
            raise
        result = SendResult(results, parse_reply(response.code, response.message))
        log.info(
            "%s:%s accepted a message for %d of %d recipients",
            self.settings.host,
            self.settings.port,
            len(result.accepted),
            len(results),
        )
        return result

    async def _rcpt(self, smtp: aiosmtplib.SMTP, address: str, encoding: str) -> RecipientResult:
        try:
            with self._boundary("rcpt"):
                response = await smtp.rcpt(address, encoding=encoding)
        except SMTPError as refusal:
            if refusal.code == 421:  # the server is closing the session: no point asking about the rest
                raise
            return RecipientResult(address, refusal.reply, refusal)
        return RecipientResult(address, parse_reply(response.code, response.message))

    def _all_refused(self, results: Sequence[RecipientResult]) -> SMTPError:
        refused = {r.address: r.error for r in results if r.error is not None}
        # lead with a transient refusal if there is one: then the whole send is worth retrying
        lead = next((e for e in refused.values() if not e.permanent), next(iter(refused.values())))
        return SMTPError(
            lead.reply,
            stage="rcpt",
            key="smtp.refused.all_rcpt",
            host=self.settings.host,
            port=self.settings.port,
            refused=refused,
            count=len(refused),
        )

    async def _reset(self, smtp: aiosmtplib.SMTP) -> None:
        """RSET after a refusal, so the connection can carry the next message; its failure changes nothing."""
        if not smtp.is_connected:
            return
        try:
            await smtp.rset()
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.debug("RSET to %s:%s failed: %s", self.settings.host, self.settings.port, exc)

    # -- plumbing -------------------------------------------------------------------------------------------

    def _boundary(self, stage: Stage) -> AbstractContextManager[None]:
        s = self.settings
        return boundary(stage, host=s.host, port=s.port, timeout=s.timeout)

    def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None:
            raise RuntimeError("the SMTP session is not connected; call connect() first")
        if not self._smtp.is_connected:  # the server hung up (after a 421, say) or the network failed
            s = self.settings
            raise NetworkError("net.closed", host=s.host, port=s.port)
        return self._smtp
