"""the secret addresses of personal calendar feeds, kept as SHA-256 digests

Revision ID: a16e0f1c2d34
Revises: b16c2e7a9f01
Create Date: 2026-12-02 06:30:00

"""

import sqlalchemy as sa
from alembic import op

import portal.core.types

revision = "a16e0f1c2d34"
down_revision = "b16c2e7a9f01"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_calendar_tokens_digest")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_tokens_user_id")),
    )


def downgrade():
    op.drop_table("calendar_tokens")
