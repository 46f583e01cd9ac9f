"""the patient's tablet

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

The tablet's own device session (a short code shown at the desk, spent by the tablet that types it first, then
a device cookie; the task it is locked to; the answers so far) and what a patient gives on it: history in
their words, answers to the red-flag questions, consent with its signature, kept as given for the clinician to
review. Columns are added in place (no table rebuild), so nothing that refers to kiosk_session is disturbed.
Names' search keys lose their apostrophes, as the domain folds them now.
"""

import sqlalchemy as sa
from alembic import op

import sotchart.store.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

WHEN = sotchart.store.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("kiosk_session", sa.Column("task", sa.String(20), server_default="questionnaires", nullable=False))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its reference in place, unnamed
        op.execute("ALTER TABLE kiosk_session ADD COLUMN appointment_id INTEGER REFERENCES appointment (id)")
    else:
        op.add_column("kiosk_session", sa.Column("appointment_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_kiosk_session_appointment_id_appointment", "kiosk_session", "appointment", ["appointment_id"], ["id"]
        )
    op.add_column("kiosk_session", sa.Column("code_hash", sa.String(64), nullable=True))
    op.add_column("kiosk_session", sa.Column("code_expires_at", WHEN, nullable=True))
    op.add_column("kiosk_session", sa.Column("device_hash", sa.String(64), nullable=True))
    op.add_column("kiosk_session", sa.Column("claimed_at", WHEN, nullable=True))
    op.add_column("kiosk_session", sa.Column("progress", sa.Text(), nullable=True))
    op.add_column("kiosk_session", sa.Column("outcome", sa.String(20), server_default="", nullable=False))
    op.create_index("uq_kiosk_session_code_hash", "kiosk_session", ["code_hash"], unique=True)
    op.create_index("uq_kiosk_session_device_hash", "kiosk_session", ["device_hash"], unique=True)
    op.create_table(
        "patient_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("kiosk_session_id", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=True),
        sa.Column("consent_sha256", sa.String(length=64), nullable=True),
        sa.Column("consent_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("consent_signature", sa.LargeBinary(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", WHEN, nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name=op.f("fk_patient_intake_appointment_id_appointment")
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], name=op.f("fk_patient_intake_clinic_id_clinic")),
        sa.ForeignKeyConstraint(
            ["kiosk_session_id"], ["kiosk_session.id"], name=op.f("fk_patient_intake_kiosk_session_id_kiosk_session")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_patient_intake_patient_id_patient")),
        sa.ForeignKeyConstraint(["reviewed_by"], ["app_user.id"], name=op.f("fk_patient_intake_reviewed_by_app_user")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_patient_intake_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_intake")),
    )
    op.create_index(op.f("ix_patient_intake_patient_id"), "patient_intake", ["patient_id"], unique=False)
    # Names are searched without their apostrophes now (domain/patients.search_key): "oconnell" finds
    # O'Connell. The keys already stored are folded the same way.
    for column in ("family_key", "given_key"):
        folded = column
        for mark in ("'", "\u2019", "\u2018", "\u02bc"):
            folded = f"REPLACE({folded}, '{mark * 2 if mark == chr(39) else mark}', '')"
        op.execute(f"UPDATE patient SET {column} = {folded} WHERE {column} <> {folded}")  # noqa: S608 - our columns


def downgrade() -> None:
    op.drop_index(op.f("ix_patient_intake_patient_id"), table_name="patient_intake")
    op.drop_table("patient_intake")
    op.drop_index("uq_kiosk_session_device_hash", table_name="kiosk_session")
    op.drop_index("uq_kiosk_session_code_hash", table_name="kiosk_session")
    # Nothing refers to kiosk_session once patient_intake is gone, so SQLite may rebuild it.
    with op.batch_alter_table("kiosk_session") as batch:
        if op.get_bind().dialect.name == "postgresql":
            batch.drop_constraint("fk_kiosk_session_appointment_id_appointment", type_="foreignkey")
        for column in (
            "outcome",
            "progress",
            "claimed_at",
            "device_hash",
            "code_expires_at",
            "code_hash",
            "appointment_id",
            "task",
        ):
            batch.drop_column(column)
