"""texts know their owner: owner_type and owner_id, filled from the records that refer to them

Revision ID: 7c3e1a9d4b52
Revises: 7c4e2a9d1b53
Create Date: 2026-12-02 03:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c3e1a9d4b52"
down_revision = "7c4e2a9d1b53"
branch_labels = None
depends_on = None

# kind, table, the table's columns that hold a text's id
OWNERS = (
    ("need", "needs", ("title_id", "description_id")),
    ("offer", "offers", ("title_id", "description_id")),
    ("project", "projects", ("title_id", "description_id")),
    ("milestone", "milestones", ("title_id",)),
    ("status_report", "status_reports", ("body_id",)),
)


def upgrade():
    with op.batch_alter_table("texts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_texts_owner", ["owner_type", "owner_id"], unique=False)
    for kind, table, columns in OWNERS:
        for column in columns:
            # Plain SQL that SQLite and PostgreSQL both run: names come from the list above.
            op.execute(
                sa.text(
                    f"UPDATE texts SET owner_type = :kind, owner_id = "  # noqa: S608
                    f"(SELECT {table}.id FROM {table} WHERE {table}.{column} = texts.id) "
                    f"WHERE texts.id IN (SELECT {column} FROM {table})"
                ).bindparams(kind=kind)
            )


def downgrade():
    with op.batch_alter_table("texts", schema=None) as batch_op:
        batch_op.drop_index("ix_texts_owner")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("owner_type")
