"""Audit tables: the events of every chain, and one head row per chain.

The head row is what makes appending safe and cheap: an appender advances it with one UPDATE in its own
transaction (row-locked on PostgreSQL, the write lock on SQLite), so concurrent appenders take turns and each
gets the next ``seq`` with the hash before it, without reading the event table. It is also what tells a
deleted last event from a chain that simply ends there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.db.base import Base, UTCDateTime

__all__ = ["AuditEvent", "AuditHead"]


class AuditEvent(Base):
    """One recorded action. Never updated or deleted by mailwarden; ``hash`` covers every other field."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_events_chain_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(32))
    #: 1, 2, 3, ... within the chain, without gaps: a gap is a deleted event
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: ``cli:<os user>@<host>``, later ``web:<person>``
    actor: Mapped[str] = mapped_column(Text)
    #: dotted: ``archive.export``, ``archive.purge.execute``, ...
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last event of a chain: its ``seq`` and ``hash``."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
