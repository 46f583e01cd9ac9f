"""token scope and expiry

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

A script's token has a scope (read, or write as far as its account's role allows) and an expiry. Tokens
made before had neither: they become write tokens that expire 90 days from the upgrade.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from sotchart.store.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_token", sa.Column("scope", sa.String(length=10), nullable=False, server_default="write"))
    op.add_column("api_token", sa.Column("expires_at", UtcDateTime(timezone=True), nullable=True))
    token = sa.table("api_token", sa.column("expires_at", UtcDateTime(timezone=True)))
    op.execute(token.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))


def downgrade() -> None:
    op.execute("ALTER TABLE api_token DROP COLUMN expires_at")
    op.execute("ALTER TABLE api_token DROP COLUMN scope")
