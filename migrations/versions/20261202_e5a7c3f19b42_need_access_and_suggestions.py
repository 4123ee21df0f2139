"""who may see each restricted need (need_access, filled from the live matches); suggestions
precomputed per need and offer (suggestions, suggestion_lists: empty until the first refresh,
read live until then)

Revision ID: e5a7c3f19b42
Revises: c12d4a8e6b10
Create Date: 2026-12-02 12:15:00

"""

import sqlalchemy as sa
from alembic import op

from portal.core.types import UTCDateTime

revision = "e5a7c3f19b42"
down_revision = "c12d4a8e6b10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "need_access",
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_need_access_need_id_needs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_need_access_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("need_id", "organisation_id", name=op.f("pk_need_access")),
    )
    with op.batch_alter_table("need_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_need_access_organisation_need", ["organisation_id", "need_id"], unique=False
        )
    # The grants the rule gives today: every offer's organisation on a live match.
    op.execute(
        "INSERT INTO need_access (need_id, organisation_id) "
        "SELECT DISTINCT matches.need_id, offers.organisation_id FROM matches "
        "JOIN offers ON offers.id = matches.offer_id "
        "WHERE matches.status IN ('proposed', 'agreed')"
    )
    op.create_table(
        "suggestions",
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("listed_on", sa.String(length=5), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("copy_key", sa.String(length=80), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_suggestions_need_id_needs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_suggestions_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("need_id", "offer_id", "listed_on", name=op.f("pk_suggestions")),
    )
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_suggestions_offer_listed_on", ["offer_id", "listed_on"], unique=False
        )
    op.create_table(
        "suggestion_lists",
        sa.Column("posting_kind", sa.String(length=5), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("is_complete", sa.Boolean(), nullable=False),
        sa.Column("has_restricted", sa.Boolean(), nullable=False),
        sa.Column("is_capped", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "posting_kind", "posting_id", name=op.f("pk_suggestion_lists")
        ),
    )


def downgrade():
    op.drop_table("suggestion_lists")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_suggestions_offer_listed_on")
    op.drop_table("suggestions")
    with op.batch_alter_table("need_access", schema=None) as batch_op:
        batch_op.drop_index("ix_need_access_organisation_need")
    op.drop_table("need_access")
