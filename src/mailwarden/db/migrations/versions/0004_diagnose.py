"""diagnose: login attempts ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 07:07:51.561367
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "diagnose_login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("attempted_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnose_login_attempts")),
    )
    with op.batch_alter_table("diagnose_login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnose_login_attempts_account_time", ["account", "attempted_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("diagnose_login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnose_login_attempts_account_time")

    op.drop_table("diagnose_login_attempts")
