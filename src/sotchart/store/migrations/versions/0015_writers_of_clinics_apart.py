"""writers of different clinics apart

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Two rows every writer of every clinic took in turn are split so clinics no longer wait for one another.
The audit log gets a chain per clinic: `audit_event` gains `chain` (its key is now chain and seq), and
`audit_head` holds a row per chain. The existing entries were written as one chain; they stay as written and
become chain 0, the shared chain, which also takes the entries of no clinic from now on. A month's analytics
counts are no longer marked stale by bumping a counter in its `outcome_month_state` row: each signing
inserts an `outcome_month_change` row, and the rebuild that counts it removes it.
"""

import sqlalchemy as sa
from alembic import op

from sotchart.store.migrations_guards import install_audit_guards, remove_audit_guards

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    remove_audit_guards(conn)
    with op.batch_alter_table("audit_event", recreate="auto") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), server_default="0", nullable=False))
        batch.drop_constraint("pk_audit_event", type_="primary")
        batch.create_primary_key("pk_audit_event", ["chain", "seq"])
        batch.drop_index("ix_audit_patient")
        batch.create_index("ix_audit_patient_at", ["patient_id", "at"], unique=False)
    install_audit_guards(conn)
    # The one chain there was, id 1, becomes chain 0: chain 1 is clinic 1's from now on.
    op.execute("UPDATE audit_head SET id = 0 WHERE id = 1")

    op.create_table(
        "outcome_month_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], name=op.f("fk_outcome_month_change_clinic_id_clinic")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_month_change")),
    )
    op.create_index("ix_outcome_month_change", "outcome_month_change", ["clinic_id", "month"], unique=False)
    # A month changed since it was counted stays stale: it gets a change row.
    op.execute(
        "INSERT INTO outcome_month_change (clinic_id, month) "
        "SELECT clinic_id, month FROM outcome_month_state WHERE built <> changes"
    )
    with op.batch_alter_table("outcome_month_state") as batch:
        batch.drop_column("changes")
        batch.drop_column("built")


def downgrade() -> None:
    with op.batch_alter_table("outcome_month_state") as batch:
        batch.add_column(sa.Column("changes", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("built", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE outcome_month_state SET built = changes WHERE NOT EXISTS (SELECT 1 FROM outcome_month_change c "
        "WHERE c.clinic_id = outcome_month_state.clinic_id AND c.month = outcome_month_state.month)"
    )
    op.drop_index("ix_outcome_month_change", table_name="outcome_month_change")
    op.drop_table("outcome_month_change")
    # Chains cannot be merged back into one without rewriting entries, which the log never allows.
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM audit_head WHERE id <> 0")).scalar_one():
        raise RuntimeError("the audit log has chains per clinic; it cannot go back to one chain")
    op.execute("UPDATE audit_head SET id = 1 WHERE id = 0")
    remove_audit_guards(conn)
    with op.batch_alter_table("audit_event", recreate="auto") as batch:
        batch.drop_index("ix_audit_patient_at")
        batch.create_index("ix_audit_patient", ["patient_id", "seq"], unique=False)
        batch.drop_constraint("pk_audit_event", type_="primary")
        batch.create_primary_key("pk_audit_event", ["seq"])
        batch.drop_column("chain")
    install_audit_guards(conn)
