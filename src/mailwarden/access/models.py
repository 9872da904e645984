"""The agents table and each agent's identities in the chat systems (one per system)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mailwarden.core import clock
from mailwarden.db.base import Base, UTCDateTime

__all__ = ["Agent", "AgentIdentity", "ApiToken", "MailboxGrant"]


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


class MailboxGrant(Base):
    """What an agent may do in a mailbox: ``read`` (see its conversations), ``answer`` (also reply, note,
    tag, change status), ``manage`` (also assign, merge, split). No row: the mailbox does not exist for
    them."""

    __tablename__ = "access_mailbox_grants"
    __table_args__ = (
        UniqueConstraint("agent_id", "mailbox_id", name="uq_access_mailbox_grants"),
        CheckConstraint("role IN ('read', 'answer', 'manage')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ApiToken(Base):
    """A bearer token for the REST API. Only a hash is kept; the token is shown once, when made.

    A token acts as its agent, with that agent's mailbox grants, or — ``admin`` — as the operator, who sees
    every mailbox. Tokens are 256-bit random strings, so a plain SHA-256 is enough to keep them safe at
    rest (a slow password hash protects guessable secrets, which these are not).
    """

    __tablename__ = "access_api_tokens"
    __table_args__ = (CheckConstraint("admin OR agent_id IS NOT NULL", name="acts_as_someone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: the public part of the token (``mw_<prefix>_...``): finds the row without a full-table compare
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), default=None)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
