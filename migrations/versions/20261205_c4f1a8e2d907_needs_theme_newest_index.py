"""needs: an index of each theme's needs in the list's order (theme_id, created_at, id), so that
a page of the newest needs of one theme, the filter people use most, is read off the index
instead of walking every need newest first until twenty of that theme turn up

Revision ID: c4f1a8e2d907
Revises: b3e8f1a6c205
Create Date: 2026-12-05 16:40:00

"""

from alembic import op

revision = "c4f1a8e2d907"
down_revision = "b3e8f1a6c205"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_needs_theme_newest", ["theme_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_theme_newest")
