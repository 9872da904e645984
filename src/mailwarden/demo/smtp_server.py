"""The demo's SMTP server (aiosmtpd over implicit TLS), which plays both parts a mail host plays:

- **submission** for its own users: AUTH PLAIN/LOGIN required to send anywhere, and the envelope sender
  must be the authenticated address (``553 5.7.1`` otherwise, as a provider answers);
- **inbound** for its own domain: without AUTH only local recipients are accepted (``554 5.7.1`` relay
  denied), which is how the demo's "customers" write to ``sales@demo.test``.

Accepted mail is delivered at once into the :class:`~mailwarden.demo.imap_server.MailStore`, with a
``Received`` and a ``Return-Path`` line as a real MTA adds them. Recipients outside the demo's domain are
the outside world — the customers — and get a mailbox of their own, so a reply can be seen arriving.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mailwarden.demo.imap_server import MailStore

__all__ = ["MailHost"]

HOSTNAME = "mail.demo.test"


class _Passwords:
    """Salted digests of the users' passwords (the SMTP side checks them without pymap's async hash)."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)
        self._digests: dict[str, bytes] = {}

    def set(self, address: str, password: str) -> None:
        self._digests[address.lower()] = self._digest(password)

    def check(self, address: str, password: str) -> bool:
        stored = self._digests.get(address.lower())
        return stored is not None and hmac.compare_digest(stored, self._digest(password))

    def _digest(self, password: str) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), self._salt, 10_000)


class _Handler:
    def __init__(self, host: MailHost) -> None:
        self.host = host

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        user = _login_name(session)
        if user is not None and address.lower() != user.lower():
            return f"553 5.7.1 <{address}>: sender address not owned by user {user}"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "@" not in address:
            return f"501 5.1.3 <{address}>: bad recipient address syntax"
        local = address.rsplit("@", 1)[1].lower() == self.host.domain
        if local and not self.host.store.has_user(address.lower()):
            return f"550 5.1.1 <{address}>: user unknown"
        if not local and _login_name(session) is None:
            return f"554 5.7.1 <{address}>: relay access denied"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        queue_id = secrets.token_hex(5).upper()
        now = datetime.now(UTC)
        how = "ESMTPSA" if _login_name(session) else "ESMTPS"
        peer = session.peer[0] if isinstance(session.peer, tuple) else "unknown"
        content = envelope.original_content or b""
        for rcpt in envelope.rcpt_tos:
            trace = (
                f"Return-Path: <{envelope.mail_from}>\r\n"
                f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
                f"\tby {HOSTNAME} (mailwarden demo) with {how} id {queue_id}\r\n"
                f"\tfor <{rcpt}>; {format_datetime(now)}\r\n"
            ).encode()
            await self.host.deliver(rcpt.lower(), trace + content, now)
        return f"250 2.0.0 Ok: queued as {queue_id}"


def _login_name(session: Session) -> str | None:
    if not session.authenticated or session.auth_data is None:
        return None
    data = session.auth_data
    return data.login.decode() if isinstance(data, LoginPassword) else str(data)


class MailHost:
    """The SMTP listener in front of a :class:`MailStore`; ``domain`` is the host's own mail domain."""

    def __init__(self, store: MailStore, domain: str, *, on_delivery: Callable[[str], Any] | None = None):
        self.store = store
        self.domain = domain.lower()
        self.port = 0
        self._passwords = _Passwords()
        self._on_delivery = on_delivery
        self._server: asyncio.AbstractServer | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    async def add_user(self, address: str, password: str) -> None:
        await self.store.add_user(address.lower(), password)
        self._passwords.set(address, password)

    async def deliver(self, address: str, raw: bytes, when: datetime) -> None:
        if not self.store.has_user(address):  # someone in the outside world: a mailbox to show arrivals
            await self.store.add_user(address, secrets.token_urlsafe(16))
        await self.store.deliver(address, raw, when)
        if self._on_delivery is not None:
            self._on_delivery(address)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism not in ("LOGIN", "PLAIN") or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = self._passwords.check(
            data.login.decode(errors="replace"), data.password.decode(errors="replace")
        )
        # handled=False: aiosmtpd answers 535 itself; handled=True with no answer leaves the client waiting
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _factory(self) -> SMTP:
        server = SMTP(
            _Handler(self),
            hostname=HOSTNAME,
            ident="mailwarden demo ESMTP",
            authenticator=self._authenticate,
            auth_require_tls=False,  # implicit TLS: the connection is encrypted before the greeting
            data_size_limit=25 * 1024 * 1024,
        )
        self._sessions.add(server)
        return server

    async def start(self, port: int = 0, *, ssl: Any = None, host: str = "127.0.0.1") -> int:
        self._server = await asyncio.get_running_loop().create_server(
            self._factory, host=host, port=port, ssl=ssl
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for session in self._sessions:
            if session.transport is not None:
                session.transport.close()
        self._sessions.clear()
        await self._server.wait_closed()
        self._server = None
