"""retention: policies, legal holds, purge batches, purge marks on messages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:56:00.444118
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purge_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("grace_until", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("executed_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("executed_by", sa.Text(), nullable=True),
        sa.Column("purged", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("blobs_removed", sa.Integer(), nullable=False),
        sa.Column("blobs_done_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purge_batches")),
    )
    with op.batch_alter_table("purge_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purge_batches_state"), ["state"], unique=False)

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=True),
        sa.Column("since", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("before", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_legal_holds_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
        sa.UniqueConstraint("name", name=op.f("uq_legal_holds_name")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_mailbox_id"), ["mailbox_id"], unique=False)

    op.create_table(
        "retention_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("keep_amount", sa.Integer(), nullable=False),
        sa.Column("keep_unit", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_retention_policies_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policies")),
        sa.UniqueConstraint("mailbox_id", "folder", name="uq_retention_policies_scope"),
    )
    with op.batch_alter_table("archive_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purge_batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("purged_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_archive_messages_purge_batch_id"), ["purge_batch_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_archive_messages_purged_at"), ["purged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_messages_purged_at"))
        batch_op.drop_index(batch_op.f("ix_archive_messages_purge_batch_id"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("purge_batch_id")

    op.drop_table("retention_policies")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_mailbox_id"))

    op.drop_table("legal_holds")
    with op.batch_alter_table("purge_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purge_batches_state"))

    op.drop_table("purge_batches")
