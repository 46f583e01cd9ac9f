"""Rows written by an import, as they were exported: a patient with their chart number, an episode as it
stood, a visit in the status it had (signed notes arrive signed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from sotchart.store.patients import same_name_and_birth
from sotchart.store.tables import episode, patient, visit


def patient_row(
    conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime
) -> int:
    stamp = {"created_at": now, "created_by": actor_id, "updated_at": now, "updated_by": actor_id}
    return int(
        conn.execute(
            insert(patient).values(clinic_id=clinic_id, version=1, **values, **stamp).returning(patient.c.id)
        ).scalar_one()
    )


def same_person(conn: Connection, clinic_id: int, family_key: str, given_key: str, birth_date: Any) -> int | None:
    """A patient of the clinic with the same name and date of birth: the patient the clinic already holds."""
    same = same_name_and_birth(
        conn, clinic_id=clinic_id, family_key=family_key, given_key=given_key, birth_date=birth_date
    )
    return int(same[0]["id"]) if same else None


def episode_row(
    conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime
) -> int:
    stamp = {"created_at": now, "created_by": actor_id, "updated_at": now, "updated_by": actor_id}
    return int(
        conn.execute(
            insert(episode).values(clinic_id=clinic_id, **values, **stamp).returning(episode.c.id)
        ).scalar_one()
    )


def visit_row(conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime) -> int:
    stamp = {"created_at": now, "created_by": actor_id, "updated_at": now, "updated_by": actor_id}
    return int(
        conn.execute(
            insert(visit).values(clinic_id=clinic_id, version=1, **values, **stamp).returning(visit.c.id)
        ).scalar_one()
    )
