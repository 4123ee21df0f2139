"""sign-in protection per account: device-cookie lockout, progressive lockouts, second-factor limits

Failed sign-ins from browsers that signed in to the account before (its device cookie) are
counted apart from everyone else's, so that strangers cannot lock the owner out; lockouts grow
longer one after another. Wrong second-factor codes are counted per pending sign-in and per
account, and can lock the second factor.

Revision ID: 7c4e2a9d1b53
Revises: 5b1f0c3e9a27
Create Date: 2026-12-02 03:20:00.000000

"""

from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = "7c4e2a9d1b53"
down_revision = "5b1f0c3e9a27"
branch_labels = None
depends_on = None

COUNTERS = ("lockouts", "device_failed_logins", "challenge_failures", "failed_codes")
MOMENTS = (
    "device_first_failed_at",
    "device_locked_until",
    "first_failed_code_at",
    "second_factor_locked_until",
)


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in COUNTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        for name in MOMENTS:
            batch_op.add_column(
                sa.Column(name, portal.core.types.UTCDateTime(timezone=True), nullable=True)
            )
        batch_op.add_column(
            sa.Column("second_factor_challenge", sa.String(length=64), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("second_factor_challenge")
        for name in reversed(MOMENTS):
            batch_op.drop_column(name)
        for name in reversed(COUNTERS):
            batch_op.drop_column(name)
