"""language versions know whether a machine wrote them (drafts awaiting a person's review); the
search copy writes every apostrophe as ’, so a word typed with ', ’ or ʼ finds the same texts

Revision ID: 3e8b5f1c7a90
Revises: 7c3e1a9d4b52
Create Date: 2026-12-02 03:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3e8b5f1c7a90"
down_revision = "7c3e1a9d4b52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("text_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_machine", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # portal.content.models.fold() now folds ' ʼ ‘ ` to ’; the stored copies follow.
    for apostrophe in ("'", "\u02bc", "\u2018", "`"):
        op.execute(
            sa.text("UPDATE text_versions SET folded = REPLACE(folded, :a, :b)").bindparams(
                a=apostrophe, b="\u2019"
            )
        )


def downgrade():
    with op.batch_alter_table("text_versions", schema=None) as batch_op:
        batch_op.drop_column("is_machine")
