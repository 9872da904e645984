"""The mailbox table. Credentials are never stored in plaintext: a ciphertext or a reference, never both."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime
from mailwarden.mailboxes.record import credential_context

__all__ = ["CREDENTIAL_KINDS", "TLS_MODES", "Mailbox", "new_uid"]

TLS_MODES = ("implicit", "starttls", "none")
#: what the stored secret is: the account password, a provider app password (授权码), or an OAuth2 token
CREDENTIAL_KINDS = ("password", "app_password", "oauth2_token")


def new_uid() -> str:
    return uuid.uuid4().hex


class Mailbox(Base):
    __tablename__ = "mailboxes"
    __table_args__ = (
        CheckConstraint(
            "(credential_secret IS NULL) <> (credential_ref IS NULL)", name="one_credential_source"
        ),
        CheckConstraint("imap_tls IN ('implicit', 'starttls', 'none')", name="imap_tls_mode"),
        CheckConstraint("smtp_tls IN ('implicit', 'starttls', 'none')", name="smtp_tls_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: stable identity that survives renames and moves between databases
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    username: Mapped[str] = mapped_column(String(320))
    imap_host: Mapped[str] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(Integer)
    imap_tls: Mapped[str] = mapped_column(String(10))
    smtp_host: Mapped[str] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    smtp_tls: Mapped[str] = mapped_column(String(10))
    #: a PEM bundle to trust in addition to the system's (a company CA, a test server)
    ca_file: Mapped[str | None] = mapped_column(Text, default=None)
    #: the user explicitly accepted sending credentials without TLS
    allow_plaintext: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_kind: Mapped[str] = mapped_column(String(20), default="password")
    #: AES-GCM ciphertext from :class:`~mailwarden.core.secrets.SecretBox`
    credential_secret: Mapped[str | None] = mapped_column(Text, default=None)
    #: ``env:``, ``file:``, ``bw:`` or ``op://`` reference, resolved when used
    credential_ref: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    @property
    def credential_context(self) -> str:
        """Associated data for the ciphertext: binds it to this row and purpose."""
        return credential_context(self.uid)
