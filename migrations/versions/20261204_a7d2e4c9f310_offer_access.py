"""who may see each restricted offer (offer_access, filled from the live matches), as
need_access is for needs: a list of offers reads one index instead of every live match of the
reader's organisation's needs

Revision ID: a7d2e4c9f310
Revises: f3a9d0c5b812
Create Date: 2026-12-04 00:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a7d2e4c9f310"
down_revision = "f3a9d0c5b812"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offer_access",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_offer_access_offer_id_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_offer_access_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", "organisation_id", name=op.f("pk_offer_access")),
    )
    with op.batch_alter_table("offer_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_offer_access_organisation_offer", ["organisation_id", "offer_id"], unique=False
        )
    # The grants the rule gives today: every need's organisation on a live match.
    op.execute(
        "INSERT INTO offer_access (offer_id, organisation_id) "
        "SELECT DISTINCT matches.offer_id, needs.organisation_id FROM matches "
        "JOIN needs ON needs.id = matches.need_id "
        "WHERE matches.status IN ('proposed', 'agreed')"
    )


def downgrade():
    with op.batch_alter_table("offer_access", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_access_organisation_offer")
    op.drop_table("offer_access")
