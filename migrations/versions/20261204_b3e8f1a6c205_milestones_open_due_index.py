"""milestones: a partial index of those not done, in due order with their project, so that the
dashboard reads the first ten overdue or due soon off it and counts them without reading the
table

Revision ID: b3e8f1a6c205
Revises: a7d2e4c9f310
Create Date: 2026-12-04 12:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3e8f1a6c205"
down_revision = "a7d2e4c9f310"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestones_open_due",
            ["due_on", "id"],
            unique=False,
            postgresql_include=["project_id"],
            postgresql_where=sa.text("done_on IS NULL"),
            sqlite_where=sa.text("done_on IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_milestones_open_due")
