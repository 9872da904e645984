"""The envelope of a message — who from, who to, which MAIL FROM parameters — and what came of it.

Plain functions and values, so the rules are tested without a server: which addresses may go on the
command line at all, when SMTPUTF8 and BODY=8BITMIME are needed, and how per-recipient results add up.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from mailwarden.core.errors import InputError
from mailwarden.smtp.errors import SMTPError
from mailwarden.smtp.status import Reply

__all__ = ["RecipientResult", "SendResult", "check_envelope", "mail_options", "needs_smtputf8"]

# What would end the address on the command line, or smuggle in another parameter or command.
_UNSAFE_IN_ADDRESS = re.compile(r"[\s<>\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """The server's answer to one RCPT TO. ``error`` is None when the recipient was accepted."""

    address: str
    reply: Reply
    error: SMTPError | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class SendResult:
    """A message the server took responsibility for, and what it said about each recipient.

    A message accepted for some recipients and refused for others is a success *with* refusals: the caller
    must look at ``refused`` (sending again would duplicate the message for those who got it).
    """

    recipients: tuple[RecipientResult, ...]
    #: the reply to the message data; servers often put their queue id in it
    reply: Reply

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(r.address for r in self.recipients if r.error is None)

    @property
    def refused(self) -> Mapping[str, SMTPError]:
        return {r.address: r.error for r in self.recipients if r.error is not None}


def check_envelope(mail_from: str, rcpt_to: Sequence[str]) -> list[str]:
    """The recipients as a list, once every address is safe to put on the command line; else InputError.

    An empty ``mail_from`` is the null reverse-path ``<>`` and allowed; an empty recipient is not.
    """
    if _UNSAFE_IN_ADDRESS.search(mail_from):
        raise InputError("smtp.bad_sender")
    # a lone str is a Sequence[str] too, and would be sent as one recipient per character
    recipients = [rcpt_to] if isinstance(rcpt_to, str) else list(rcpt_to)
    if not recipients:
        raise InputError("smtp.no_recipients")
    for number, address in enumerate(recipients, start=1):
        if not address or _UNSAFE_IN_ADDRESS.search(address):
            raise InputError("smtp.bad_recipient", number=number)
    return recipients


def needs_smtputf8(addresses: Sequence[str]) -> bool:
    """RFC 6531: a non-ASCII address may only be sent with the SMTPUTF8 parameter."""
    return not all(address.isascii() for address in addresses)


def mail_options(message: bytes, *, smtputf8: bool, offered: Collection[str]) -> list[str]:
    """The MAIL FROM parameters for ``message``; ``offered`` holds the server's EHLO keywords, lower case."""
    options = ["SMTPUTF8"] if smtputf8 else []
    if not message.isascii() and "8bitmime" in offered:
        options.append("BODY=8BITMIME")
    if "size" in offered:
        # RFC 1870 asks for an estimate, so that an oversized message is refused before it is uploaded;
        # bare LFs will go out as CRLF
        size = len(message) + message.count(b"\n") - message.count(b"\r\n")
        options.append(f"SIZE={size}")
    return options
