"""sealed audit log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Each new audit entry carries a seal, an HMAC with a key kept outside the database, beside its hash. Entries
written before stay as they are; the first sealed entry binds them, since it seals their chain's hash.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("mac", sa.String(length=64), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_head DROP COLUMN mac")
    op.execute("ALTER TABLE audit_event DROP COLUMN mac")
