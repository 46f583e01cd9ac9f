"""sign-in throttle per address

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Failed sign-ins are counted per address, and per account from each address, so a wrong password locks
the account only for the address it came from, and an address spraying passwords across accounts is
refused for a while.
"""

import sqlalchemy as sa
from alembic import op

from sotchart.store.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
