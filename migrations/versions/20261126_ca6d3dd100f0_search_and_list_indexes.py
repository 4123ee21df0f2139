"""search and list indexes

Search at 100,000 needs: records are found by the texts that contain the words, so their
title and description columns are indexed, and on PostgreSQL the case-folded text versions get a
trigram index (pg_trgm, a trusted extension: the database owner may create it) that serves
LIKE '%words%'. On SQLite that index is declared empty (WHERE 0): no B-tree helps such a pattern.

Revision ID: ca6d3dd100f0
Revises: 2fe788cda9c8
Create Date: 2026-11-26 18:52:51.675631

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ca6d3dd100f0'
down_revision = '2fe788cda9c8'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_description_id'), ['description_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_title_id'), ['title_id'], unique=False)

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_description_id'), ['description_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_title_id'), ['title_id'], unique=False)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_description_id'), ['description_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_title_id'), ['title_id'], unique=False)

    with op.batch_alter_table('text_versions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_text_versions_folded_trgm',
            ['folded'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'folded': 'gin_trgm_ops'},
            sqlite_where=sa.text('0'),
            if_not_exists=True,
        )


def downgrade():
    # The pg_trgm extension stays: other objects may use it.
    with op.batch_alter_table('text_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_text_versions_folded_trgm')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_title_id'))
        batch_op.drop_index(batch_op.f('ix_projects_description_id'))

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_title_id'))
        batch_op.drop_index(batch_op.f('ix_offers_description_id'))

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_title_id'))
        batch_op.drop_index(batch_op.f('ix_needs_description_id'))
