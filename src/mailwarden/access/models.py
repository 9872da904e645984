"""The agents table and each agent's identities in the chat systems (one per system)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["Agent", "AgentIdentity"]


def _uid() -> str:
    return uuid.uuid4().hex


class Agent(Base):
    """A person of the team who answers mail and is @mentioned by alerts."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=_uid)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    #: IANA zone name (Asia/Shanghai): times in this agent's alerts are shown in it
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    identities: Mapped[list[AgentIdentity]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", lazy="selectin", order_by="AgentIdentity.kind"
    )


class AgentIdentity(Base):
    """How a chat system knows the agent: a mobile number or user id (DingTalk), open_id (Feishu), ..."""

    __tablename__ = "agent_identities"
    __table_args__ = (UniqueConstraint("agent_id", "kind", name="uq_agent_identities_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ident: Mapped[str] = mapped_column(String(200))
    agent: Mapped[Agent] = relationship(back_populates="identities")
