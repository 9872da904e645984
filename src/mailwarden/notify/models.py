"""Notify tables: channels, the outbox (one row per alert and channel) and the delivery attempts.

The outbox is the idempotency key: ``(channel_id, alert_key)`` is unique, so the same alert raised twice is
queued once per channel. An attempt row is written — and committed — *before* a request leaves; finding
one without an outcome later means a worker died mid-request (see decision 0005).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime
from mailwarden.db.models import QueueMixin

__all__ = ["Attempt", "Channel", "OutboxItem"]


def _uid() -> str:
    return uuid.uuid4().hex


class Channel(Base):
    """Where alerts go. The URL is stored encrypted: for most chat bots the URL itself is the credential."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=_uid)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: AES-GCM ciphertext of the URL (see :mod:`mailwarden.core.secrets`)
    url_secret: Mapped[str] = mapped_column(Text)
    #: scheme, host and port only: what lists and logs may show
    url_shown: Mapped[str] = mapped_column(String(300))
    #: the signing secret's ciphertext, for kinds that sign
    secret_cipher: Mapped[str | None] = mapped_column(Text, default=None)
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: messages per minute; None takes the vendor's documented limit
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, default=None)
    #: send one digest instead of many messages when the queue is longer than a minute's worth
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    #: alert kinds this channel wants; None means all
    alert_kinds: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    #: kind-specific options (e-mail: the mailbox to send from)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    def context(self, what: str) -> str:
        """Associated data for a ciphertext of this channel: binds it to the row and the purpose."""
        return f"notify:channel:{self.uid}:{what}"


class OutboxItem(QueueMixin, Base):
    """One alert for one channel. ``state``: ready, claimed, done, failed, or unknown (in doubt)."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        UniqueConstraint("channel_id", "alert_key", name="uq_notify_outbox_alert"),
        Index("ix_notify_outbox_channel_queue", "channel_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id", ondelete="CASCADE"))
    alert_key: Mapped[str] = mapped_column(String(200))
    alert_kind: Mapped[str] = mapped_column(String(32))
    alert: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: sends that failed (the back-off grows with it); ``attempts`` also counts claims
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: the outbox row whose digest message carried this alert
    digest_of: Mapped[int | None] = mapped_column(Integer, default=None)


class Attempt(Base):
    """One request to a receiver, recorded before it is sent; ``outcome`` stays empty if we died meanwhile."""

    __tablename__ = "notify_attempts"
    __table_args__ = (Index("ix_notify_attempts_channel_started", "channel_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channels.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notify_outbox.id", ondelete="CASCADE"), index=True)
    #: every outbox row this request carries (more than one for a digest)
    covers: Mapped[list[int]] = mapped_column(JSON)
    worker: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: ok | error | interrupted (the worker died or lost its claim before the answer was recorded)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
