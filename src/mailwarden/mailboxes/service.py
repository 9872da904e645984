"""Adding, listing and removing mailboxes, and reading their credentials when a connection needs them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailwarden.core.errors import ConflictError, InputError
from mailwarden.core.secrets import SecretBox, parse_ref
from mailwarden.db.engine import Database
from mailwarden.db.named import get_named, list_named, remove_named
from mailwarden.mailboxes.models import CREDENTIAL_KINDS, TLS_MODES, Mailbox, new_uid
from mailwarden.mailboxes.record import credential

__all__ = ["MailboxSpec", "add_mailbox", "credential", "get_mailbox", "list_mailboxes", "remove_mailbox"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$|^\[?[0-9A-Fa-f:.]+\]?$")


@dataclass(frozen=True)
class MailboxSpec:
    """What a user tells us about a mailbox. :meth:`validate` says what is wrong, all at once."""

    name: str
    address: str
    username: str
    imap_host: str
    imap_port: int
    imap_tls: str
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    ca_file: Path | None = None
    allow_plaintext: bool = False
    credential_kind: str = "password"

    def validate(self) -> None:
        problems: list[str] = []
        if not _NAME.match(self.name):
            problems.append(f"name {self.name!r}: letters, digits and . _ @ + - only, at most 100")
        if self.address.count("@") != 1 or not all(self.address.split("@")):
            problems.append(f"address {self.address!r} is not an e-mail address")
        if not self.username:
            problems.append("username is empty")
        for proto, host, port, tls in (
            ("imap", self.imap_host, self.imap_port, self.imap_tls),
            ("smtp", self.smtp_host, self.smtp_port, self.smtp_tls),
        ):
            if not _HOST.match(host):
                problems.append(f"{proto} host {host!r} is not a host name or address")
            if not 0 < port < 65536:
                problems.append(f"{proto} port {port} is out of range")
            if tls not in TLS_MODES:
                problems.append(f"{proto} tls {tls!r}: use one of {', '.join(TLS_MODES)}")
            elif tls == "none" and not self.allow_plaintext:
                problems.append(
                    f"{proto} tls none sends the password in plaintext; add --allow-plaintext if you mean it"
                )
        if self.ca_file is not None and not self.ca_file.is_file():
            problems.append(f"ca file {self.ca_file} does not exist")
        if self.credential_kind not in CREDENTIAL_KINDS:
            problems.append(
                f"credential kind {self.credential_kind!r}: use one of {', '.join(CREDENTIAL_KINDS)}"
            )
        if problems:
            raise InputError(detail="; ".join(problems))


async def add_mailbox(
    db: Database,
    spec: MailboxSpec,
    *,
    box: SecretBox | None = None,
    secret: str | None = None,
    ref: str | None = None,
) -> Mailbox:
    """Store a mailbox with either a secret (encrypted with ``box``) or a credential reference."""
    spec.validate()
    if (secret is None) == (ref is None):
        raise InputError(detail="give exactly one of a password (--password-stdin) or --credential-ref")
    if secret is not None and not secret:
        raise InputError(detail="the password is empty")
    mailbox = Mailbox(
        uid=new_uid(),  # the ciphertext's associated data: it must exist before encrypting
        name=spec.name,
        address=spec.address,
        username=spec.username,
        imap_host=spec.imap_host,
        imap_port=spec.imap_port,
        imap_tls=spec.imap_tls,
        smtp_host=spec.smtp_host,
        smtp_port=spec.smtp_port,
        smtp_tls=spec.smtp_tls,
        ca_file=str(spec.ca_file.resolve()) if spec.ca_file else None,
        allow_plaintext=spec.allow_plaintext,
        credential_kind=spec.credential_kind,
    )
    if ref is not None:
        mailbox.credential_ref = str(parse_ref(ref))
    else:
        if box is None:
            raise InputError(detail="a secret box is needed to store a password")
        assert secret is not None
        mailbox.credential_secret = box.encrypt(secret, context=mailbox.credential_context)
    async with db.session() as session:
        if await session.scalar(select(Mailbox.id).where(Mailbox.name == spec.name)) is not None:
            raise ConflictError("mailbox.exists", name=spec.name)
        session.add(mailbox)
        try:
            await session.commit()
        except IntegrityError:
            raise ConflictError("mailbox.exists", name=spec.name) from None
    return mailbox


async def list_mailboxes(db: Database) -> list[Mailbox]:
    return await list_named(db, Mailbox, Mailbox.name)


async def get_mailbox(db: Database, name: str) -> Mailbox:
    return await get_named(db, Mailbox, Mailbox.name, name, "mailbox.not_found")


async def remove_mailbox(db: Database, name: str) -> None:
    await remove_named(db, Mailbox, Mailbox.name, name, "mailbox.not_found")
