"""projects: an index in the list's order (created_at, id), so that a page of the newest
projects is read off the index instead of sorting every project the reader may see

Revision ID: f3a9d0c5b812
Revises: e5a7c3f19b42
Create Date: 2026-12-03 05:10:00

"""

from alembic import op

revision = "f3a9d0c5b812"
down_revision = "e5a7c3f19b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index("ix_projects_newest", ["created_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_newest")
