"""foundation: jobs, leases, mailboxes

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 04:20:34.199565
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mailwarden.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("run_after", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", mailwarden.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claimable", ["state", "run_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_run_after"), ["run_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_state"), ["state"], unique=False)

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("imap_host", sa.String(length=255), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("imap_tls", sa.String(length=10), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_tls", sa.String(length=10), nullable=False),
        sa.Column("ca_file", sa.Text(), nullable=True),
        sa.Column("allow_plaintext", sa.Boolean(), nullable=False),
        sa.Column("credential_kind", sa.String(length=20), nullable=False),
        sa.Column("credential_secret", sa.Text(), nullable=True),
        sa.Column("credential_ref", sa.Text(), nullable=True),
        sa.Column("created_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mailwarden.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "imap_tls IN ('implicit', 'starttls', 'none')", name=op.f("ck_mailboxes_imap_tls_mode")
        ),
        sa.CheckConstraint(
            "smtp_tls IN ('implicit', 'starttls', 'none')", name=op.f("ck_mailboxes_smtp_tls_mode")
        ),
        sa.CheckConstraint(
            "(credential_secret IS NULL) <> (credential_ref IS NULL)",
            name=op.f("ck_mailboxes_one_credential_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
        sa.UniqueConstraint("name", name=op.f("uq_mailboxes_name")),
        sa.UniqueConstraint("uid", name=op.f("uq_mailboxes_uid")),
    )


def downgrade() -> None:

    op.drop_table("mailboxes")
    op.drop_table("leases")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_jobs_run_after"))
        batch_op.drop_index("ix_jobs_claimable")

    op.drop_table("jobs")
