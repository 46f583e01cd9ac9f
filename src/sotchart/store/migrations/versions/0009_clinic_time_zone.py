"""clinic time zone

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A clinic's day (the date of service, Today's list) is in its own time zone, not UTC's. NULL keeps the
installation's SOTCHART_TIME_ZONE.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clinic", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would rebuild the clinic table under its foreign keys.
    op.execute("ALTER TABLE clinic DROP COLUMN time_zone")
