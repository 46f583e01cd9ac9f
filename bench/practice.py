"""A synthetic practice loaded straight into the tables, for the benchmarks that need a large one: the
clinic and its clinicians through the services, then patients and episodes in bulk."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert

from sotchart.services import clinics, users
from sotchart.services.context import App
from sotchart.services.policy import Actor
from sotchart.store.tables import episode, patient

COMPLAINTS = ("Low back pain", "Neck pain", "Sciatica", "Headache", "Pelvic pain")


def clinic_with_clinicians(app: App, name: str, clinicians: int = 2) -> tuple[int, list[int]]:
    clinic = clinics.create_clinic(app, Actor.console(), name)
    ids = [
        users.add_user(
            app,
            Actor.console(clinic.id),
            email=f"dc{k}@bench.test",
            display_name=f"Dr Bench {k}",
            role="clinician",
            password="bench password 123",
            clinic_id=clinic.id,
        ).id
        for k in range(clinicians)
    ]
    return clinic.id, ids


def patients_with_episodes(app: App, clinic_id: int, starts: list[date]) -> None:
    """Patient i+1 with episode i+1 starting on starts[i] (ids match, so visits can name both)."""
    now = datetime.now(UTC)
    with app.db.transaction() as conn:
        conn.execute(
            insert(patient),
            [
                {
                    "id": i + 1,
                    "clinic_id": clinic_id,
                    "chart_number": f"P{i + 1:07d}",
                    "family_name": "Bench",
                    "given_name": str(i),
                    "family_key": "bench",
                    "given_key": str(i),
                    "birth_date": date(1970, 1, 1),
                    "sex": "unknown",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(len(starts))
            ],
        )
        conn.execute(
            insert(episode),
            [
                {
                    "id": i + 1,
                    "clinic_id": clinic_id,
                    "patient_id": i + 1,
                    "complaint": COMPLAINTS[i % len(COMPLAINTS)],
                    "start_date": day,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, day in enumerate(starts)
            ],
        )
