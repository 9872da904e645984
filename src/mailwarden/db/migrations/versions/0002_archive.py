"""archive: folders, blobs, messages, flag changes, sync runs, alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:43:05.023768
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "archive_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_archive_blobs")),
    )
    op.create_table(
        "archive_folders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("delimiter", sa.String(length=4), nullable=True),
        sa.Column("special_use", sa.String(length=20), nullable=True),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uidnext", sa.BigInteger(), nullable=True),
        sa.Column("highest_modseq", sa.BigInteger(), nullable=True),
        sa.Column("server_messages", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_synced_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gone_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_archive_folders_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_folders")),
        sa.UniqueConstraint("mailbox_id", "name", "uidvalidity", name="uq_archive_folders_identity"),
    )
    with op.batch_alter_table("archive_folders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_folders_mailbox_id"), ["mailbox_id"], unique=False)

    op.create_table(
        "archive_sync_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_archive_sync_alerts_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_sync_alerts")),
    )
    with op.batch_alter_table("archive_sync_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_sync_alerts_mailbox_id"), ["mailbox_id"], unique=False)

    op.create_table(
        "archive_sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("started_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("folders", sa.Integer(), nullable=False),
        sa.Column("folders_skipped", sa.Integer(), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("fetched_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("tombstoned", sa.Integer(), nullable=False),
        sa.Column("flag_changes", sa.Integer(), nullable=False),
        sa.Column("error_kind", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_archive_sync_runs_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_sync_runs")),
    )
    with op.batch_alter_table("archive_sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_sync_runs_mailbox_id"), ["mailbox_id"], unique=False)

    op.create_table(
        "archive_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("internal_date", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("modseq", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("in_reply_to", sa.Text(), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("from_addr", sa.Text(), nullable=True),
        sa.Column("from_name", sa.Text(), nullable=True),
        sa.Column("to", sa.JSON(), nullable=False),
        sa.Column("cc", sa.JSON(), nullable=False),
        sa.Column("reply_to", sa.JSON(), nullable=False),
        sa.Column("date", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("has_attachments", sa.Boolean(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("defects", sa.JSON(), nullable=False),
        sa.Column("archived_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("gone_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gone_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["archive_folders.id"],
            name=op.f("fk_archive_messages_folder_id_archive_folders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_archive_messages_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["archive_blobs.sha256"],
            name=op.f("fk_archive_messages_sha256_archive_blobs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_messages")),
        sa.UniqueConstraint("folder_id", "uidvalidity", "uid", name="uq_archive_messages_server_copy"),
    )
    with op.batch_alter_table("archive_messages", schema=None) as batch_op:
        batch_op.create_index("ix_archive_messages_mailbox_live", ["mailbox_id", "gone_at"], unique=False)
        batch_op.create_index("ix_archive_messages_message_id", ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_messages_sha256"), ["sha256"], unique=False)

    op.create_table(
        "archive_flag_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_row_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("modseq", sa.BigInteger(), nullable=True),
        sa.Column("seen_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_row_id"],
            ["archive_messages.id"],
            name=op.f("fk_archive_flag_changes_message_row_id_archive_messages"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_flag_changes")),
    )
    with op.batch_alter_table("archive_flag_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_flag_changes_message_row_id"), ["message_row_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("archive_flag_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_flag_changes_message_row_id"))

    op.drop_table("archive_flag_changes")
    with op.batch_alter_table("archive_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_messages_sha256"))
        batch_op.drop_index("ix_archive_messages_message_id")
        batch_op.drop_index("ix_archive_messages_mailbox_live")

    op.drop_table("archive_messages")
    with op.batch_alter_table("archive_sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_sync_runs_mailbox_id"))

    op.drop_table("archive_sync_runs")
    with op.batch_alter_table("archive_sync_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_sync_alerts_mailbox_id"))

    op.drop_table("archive_sync_alerts")
    with op.batch_alter_table("archive_folders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_folders_mailbox_id"))

    op.drop_table("archive_folders")
    op.drop_table("archive_blobs")
