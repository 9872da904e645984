"""Opening a logged-in IMAP session for a stored mailbox: one place that knows how we log in.

It takes anything shaped like a mailbox row (:class:`ImapAccount`): the ORM :class:`~.models.Mailbox`, or the
plain :class:`~.record.MailboxRecord` the quick no-change check reads without SQLAlchemy.
"""

from __future__ import annotations

import ipaddress
from typing import Protocol

from mailwarden.core.secrets import SecretValue
from mailwarden.imap.client import IMAPClient, TLSMode
from mailwarden.imap.parser import ParserLimits

__all__ = ["ImapAccount", "open_imap", "wants_compression"]


class ImapAccount(Protocol):
    """The columns of a mailbox that say how to reach and log in to its IMAP server."""

    @property
    def username(self) -> str: ...
    @property
    def imap_host(self) -> str: ...
    @property
    def imap_port(self) -> int: ...
    @property
    def imap_tls(self) -> str: ...
    @property
    def ca_file(self) -> str | None: ...
    @property
    def allow_plaintext(self) -> bool: ...
    @property
    def credential_kind(self) -> str: ...


def wants_compression(mailbox: ImapAccount, policy: str) -> bool:
    """``auto``: compress unless the server is on this machine (there it only costs CPU)."""
    if policy in ("always", "never"):
        return policy == "always"
    host = mailbox.imap_host.strip("[]").lower()
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host not in {"localhost", "localhost.localdomain"}


async def open_imap(
    mailbox: ImapAccount,
    secret: SecretValue,
    *,
    step_timeout: float = 30.0,
    compress: bool = False,
    limits: ParserLimits | None = None,
) -> IMAPClient:
    """Connect, log in (XOAUTH2 for a token, else PLAIN or LOGIN as offered) and return the session;
    with ``compress``, also COMPRESS=DEFLATE when the server offers it (mail text shrinks 3-10x).

    The caller closes it (``async with``). A failed login closes the connection before raising.
    """
    tls: TLSMode = mailbox.imap_tls  # type: ignore[assignment]  # the table's CHECK constraint holds it
    client = await IMAPClient.open(
        mailbox.imap_host,
        mailbox.imap_port,
        tls=tls,
        ca_file=mailbox.ca_file,
        timeout=step_timeout,
        allow_plaintext=mailbox.allow_plaintext,
        limits=limits,
    )
    try:
        if mailbox.credential_kind == "oauth2_token":
            await client.authenticate_xoauth2(mailbox.username, secret)
        else:
            await client.authenticate(mailbox.username, secret)
        if compress:
            await client.compress()
    except BaseException:
        await client.close()
        raise
    return client
