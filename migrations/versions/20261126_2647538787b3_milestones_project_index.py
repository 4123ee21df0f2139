"""milestones project index

A project's milestones are looked up by project: the project page and list load them, and the
dashboard's progress panel joins them per project (15 s on SQLite at 10,000 projects without it).

Revision ID: 2647538787b3
Revises: ca6d3dd100f0
Create Date: 2026-11-26 19:47:38.948603

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2647538787b3'
down_revision = 'ca6d3dd100f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_project_id'), ['project_id'], unique=False)



def downgrade():
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_project_id'))

