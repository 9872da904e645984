"""The ledger of login attempts made by diagnoses, so the tool never causes the lockout it diagnoses.

One row per attempt. A refused password is remembered as a salted scrypt hash (as a server would store a
password, never the password), so a later run with the same password is not sent again, and the server's
refusal from then is shown instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["LoginAttempt"]


class LoginAttempt(Base):
    __tablename__ = "diagnose_login_attempts"
    __table_args__ = (Index("ix_diagnose_login_attempts_account_time", "account", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the login name, lower-cased: providers count failures per account whatever the case
    account: Mapped[str] = mapped_column(String(320))
    protocol: Mapped[str] = mapped_column(String(10))
    host: Mapped[str] = mapped_column(String(255))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    #: "ok", "refused" or "error"
    outcome: Mapped[str] = mapped_column(String(10))
    #: the server's answer, exactly
    answer: Mapped[str] = mapped_column(Text, default="")
    #: for a refused password: ``scrypt$<salt hex>$<hash hex>``
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
