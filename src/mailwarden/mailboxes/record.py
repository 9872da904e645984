"""A mailbox row as plain values, and reading its credential: for code that must not load SQLAlchemy.

The quick no-change ``archive sync`` (:mod:`mailwarden.sync.quick`) reads the ``mailboxes`` table with the
standard library's ``sqlite3`` and needs the same credential the ORM path gets; :func:`credential` is the one
way both read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mailwarden.core.errors import InputError
from mailwarden.core.secrets import SecretBox, SecretValue, resolve_ref

__all__ = ["MailboxRecord", "StoredCredential", "credential", "credential_context"]


def credential_context(uid: str) -> str:
    """Associated data for a mailbox's ciphertext: binds it to that row and purpose."""
    return f"mailbox:{uid}:credential"


class StoredCredential(Protocol):
    @property
    def credential_secret(self) -> str | None: ...
    @property
    def credential_ref(self) -> str | None: ...
    @property
    def credential_context(self) -> str: ...


@dataclass(frozen=True)
class MailboxRecord:
    """The columns of ``mailboxes`` that a sync needs (see :class:`~.models.Mailbox` for their meaning)."""

    id: int
    uid: str
    name: str
    username: str
    imap_host: str
    imap_port: int
    imap_tls: str
    ca_file: str | None
    allow_plaintext: bool
    credential_kind: str
    credential_secret: str | None
    credential_ref: str | None

    @property
    def credential_context(self) -> str:
        return credential_context(self.uid)


def credential(mailbox: StoredCredential, box: SecretBox | None) -> SecretValue:
    """The mailbox's secret, decrypted or resolved now. Raises a :class:`SecretError` saying what to do."""
    if mailbox.credential_ref is not None:
        return resolve_ref(mailbox.credential_ref)
    if box is None:
        raise InputError(detail="a secret box is needed to read a stored password")
    assert mailbox.credential_secret is not None
    return box.decrypt(mailbox.credential_secret, context=mailbox.credential_context)
