"""recovery: restore ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:11:44.935909
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "restore_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_mailbox_id", sa.Integer(), nullable=False),
        sa.Column("target_folder", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_message_id", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("appended_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["archive_messages.id"],
            name=op.f("fk_restore_ledger_source_message_id_archive_messages"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_restore_ledger_target_mailbox_id_mailboxes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restore_ledger")),
    )
    with op.batch_alter_table("restore_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_restore_ledger_target", ["target_mailbox_id", "target_folder", "sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("restore_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_restore_ledger_target")

    op.drop_table("restore_ledger")
