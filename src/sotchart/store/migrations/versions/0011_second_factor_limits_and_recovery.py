"""second factor limits and recovery codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Wrong second-factor codes are counted per session (five end it) and per account (towards the lockout);
the secret being set up is kept with the session that asked for it, so a reload shows the same one and
another session cannot bind it; single-use recovery codes are kept as hashes.
"""

import sqlalchemy as sa
from alembic import op

from sotchart.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user_session", sa.Column("mfa_failures", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("user_session", sa.Column("mfa_pending", sa.String(length=400), nullable=True))
    op.create_table(
        "mfa_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_mfa_recovery_code_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_mfa_recovery_code_user_id"), "mfa_recovery_code", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mfa_recovery_code_user_id"), table_name="mfa_recovery_code")
    op.drop_table("mfa_recovery_code")
    op.execute("ALTER TABLE user_session DROP COLUMN mfa_pending")
    op.execute("ALTER TABLE user_session DROP COLUMN mfa_failures")
