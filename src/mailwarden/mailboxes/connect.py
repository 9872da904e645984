"""Opening a logged-in IMAP session for a stored mailbox: one place that knows how we log in."""

from __future__ import annotations

import ipaddress

from mailwarden.core.secrets import SecretValue
from mailwarden.imap.client import IMAPClient, TLSMode
from mailwarden.imap.parser import ParserLimits
from mailwarden.mailboxes.models import Mailbox

__all__ = ["open_imap", "wants_compression"]


def wants_compression(mailbox: Mailbox, policy: str) -> bool:
    """``auto``: compress unless the server is on this machine (there it only costs CPU)."""
    if policy in ("always", "never"):
        return policy == "always"
    host = mailbox.imap_host.strip("[]").lower()
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host not in {"localhost", "localhost.localdomain"}


async def open_imap(
    mailbox: Mailbox,
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
