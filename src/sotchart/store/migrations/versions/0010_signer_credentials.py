"""signer credentials

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A signed note names its signer with their professional credentials ("DC") and NPI, as a payer reads it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("credentials", sa.String(length=60), nullable=False, server_default=""))
    op.add_column("app_user", sa.Column("npi", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE app_user DROP COLUMN npi")
    op.execute("ALTER TABLE app_user DROP COLUMN credentials")
