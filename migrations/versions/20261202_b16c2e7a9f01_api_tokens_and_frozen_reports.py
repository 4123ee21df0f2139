"""personal API tokens (stored as SHA-256) and frozen reports to the city councils (their
documents kept byte for byte)

Revision ID: b16c2e7a9f01
Revises: 3e8b5f1c7a90
Create Date: 2026-12-02 06:30:00

"""

import sqlalchemy as sa
from alembic import op

import portal.core.types

revision = "b16c2e7a9f01"
down_revision = "3e8b5f1c7a90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", portal.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", portal.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "frozen_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("frozen_by_id", sa.Integer(), nullable=False),
        sa.Column("frozen_at", portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_frozen_reports_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["frozen_by_id"], ["users.id"], name=op.f("fk_frozen_reports_frozen_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frozen_reports")),
    )
    with op.batch_alter_table("frozen_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frozen_reports_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_frozen_reports_frozen_at"), ["frozen_at"], unique=False
        )

    op.create_table(
        "frozen_report_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["frozen_reports.id"],
            name=op.f("fk_frozen_report_documents_report_id_frozen_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frozen_report_documents")),
        sa.UniqueConstraint(
            "report_id", "lang", "format", name=op.f("uq_frozen_report_documents_report_id")
        ),
    )
    with op.batch_alter_table("frozen_report_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frozen_report_documents_report_id"), ["report_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("frozen_report_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frozen_report_documents_report_id"))
    op.drop_table("frozen_report_documents")
    with op.batch_alter_table("frozen_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frozen_reports_frozen_at"))
        batch_op.drop_index(batch_op.f("ix_frozen_reports_agreement_id"))
    op.drop_table("frozen_reports")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
