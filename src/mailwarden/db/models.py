"""Tables the database layer itself owns: the generic job queue and leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["Job", "Lease", "QueueMixin"]


class QueueMixin:
    """Columns that make a table a work queue (see :mod:`mailwarden.db.queue`).

    ``state`` is ``ready`` (waiting for ``run_after``), ``claimed`` (a worker holds it until
    ``claimed_until``; past that, anyone may take it over), ``done`` or ``failed`` (gave up; ``last_error``
    says why).
    """

    state: Mapped[str] = mapped_column(String(16), default="ready", index=True)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class Job(QueueMixin, Base):
    """A generic background job: ``kind`` names the handler, ``payload`` its arguments."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claimable", "state", "run_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Lease(Base):
    """Long-running ownership of a named thing (``sync:mailbox:3``) by one process until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
