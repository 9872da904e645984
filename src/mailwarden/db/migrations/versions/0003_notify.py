"""notify: channels, outbox, attempts; access: agents and identities

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:03:51.844872
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("name", name=op.f("uq_agents_name")),
        sa.UniqueConstraint("uid", name=op.f("uq_agents_uid")),
    )
    op.create_table(
        "notify_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url_secret", sa.Text(), nullable=False),
        sa.Column("url_shown", sa.String(length=300), nullable=False),
        sa.Column("secret_cipher", sa.Text(), nullable=True),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("alert_kinds", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_notify_channels_name")),
        sa.UniqueConstraint("uid", name=op.f("uq_notify_channels_uid")),
    )
    op.create_table(
        "agent_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ident", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_identities_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_identities")),
        sa.UniqueConstraint("agent_id", "kind", name="uq_agent_identities_kind"),
    )
    with op.batch_alter_table("agent_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_identities_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("alert_key", sa.String(length=200), nullable=False),
        sa.Column("alert_kind", sa.String(length=32), nullable=False),
        sa.Column("alert", sa.JSON(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digest_of", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_after", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notify_channels.id"],
            name=op.f("fk_notify_outbox_channel_id_notify_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("channel_id", "alert_key", name="uq_notify_outbox_alert"),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_notify_outbox_channel_queue", ["channel_id", "state", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notify_outbox_run_after"), ["run_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_notify_outbox_state"), ["state"], unique=False)

    op.create_table(
        "notify_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("started_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notify_channels.id"],
            name=op.f("fk_notify_attempts_channel_id_notify_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["notify_outbox.id"],
            name=op.f("fk_notify_attempts_outbox_id_notify_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_attempts")),
    )
    with op.batch_alter_table("notify_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_attempts_channel_started", ["channel_id", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notify_attempts_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notify_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_attempts_outbox_id"))
        batch_op.drop_index("ix_notify_attempts_channel_started")

    op.drop_table("notify_attempts")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_outbox_state"))
        batch_op.drop_index(batch_op.f("ix_notify_outbox_run_after"))
        batch_op.drop_index("ix_notify_outbox_channel_queue")

    op.drop_table("notify_outbox")
    with op.batch_alter_table("agent_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_identities_agent_id"))

    op.drop_table("agent_identities")
    op.drop_table("notify_channels")
    op.drop_table("agents")
