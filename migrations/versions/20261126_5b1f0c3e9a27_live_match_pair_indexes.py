"""live match pair indexes

One live (proposed or agreed) match per need and offer, enforced by the database as well as by
the matching service, so that two people proposing the same pair at the same moment cannot both
succeed. The unique index and its mirror (offer, need) also serve the visibility rules' "on a
live match with my organisation" test as index-only scans.

Revision ID: 5b1f0c3e9a27
Revises: 2647538787b3
Create Date: 2026-11-26 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1f0c3e9a27'
down_revision = '2647538787b3'
branch_labels = None
depends_on = None

LIVE = sa.text("status IN ('proposed', 'agreed')")


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index(
            'uq_matches_live_need_offer',
            ['need_id', 'offer_id'],
            unique=True,
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        )
        batch_op.create_index(
            'ix_matches_live_offer_need',
            ['offer_id', 'need_id'],
            unique=False,
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        )


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_live_offer_need')
        batch_op.drop_index('uq_matches_live_need_offer')
