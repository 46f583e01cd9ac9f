"""Care-plan rows, and the counts of an episode's visits that place a patient in their plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from sotchart.store import versioned
from sotchart.store.tables import appointment, care_plan, visit


def create(conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime) -> int:
    return int(
        conn.execute(
            insert(care_plan)
            .values(
                clinic_id=clinic_id,
                **values,
                status="active",
                version=1,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(care_plan.c.id)
        ).scalar_one()
    )


def get(conn: Connection, clinic_id: int, plan_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(care_plan).where(and_(care_plan.c.id == plan_id, care_plan.c.clinic_id == clinic_id))
    ).first()
    return dict(row._mapping) if row else None


def active_for_patients(conn: Connection, clinic_id: int, patient_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each patient's newest active plan, by patient."""
    if not patient_ids:
        return {}
    q = (
        select(care_plan)
        .where(
            and_(
                care_plan.c.clinic_id == clinic_id,
                care_plan.c.patient_id.in_(patient_ids),
                care_plan.c.status == "active",
            )
        )
        .order_by(care_plan.c.start_date, care_plan.c.id)
    )
    return {r.patient_id: dict(r._mapping) for r in conn.execute(q)}  # the newest wins


def update_if_version(
    conn: Connection,
    *,
    clinic_id: int,
    plan_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any] | None:
    return versioned.update_if_version(
        conn,
        care_plan,
        row_id=plan_id,
        expected_version=expected_version,
        values=values,
        actor_id=actor_id,
        now=now,
        clinic_id=clinic_id,
    )


def visits_done(conn: Connection, plans: list[dict[str, Any]], today: date) -> dict[int, int]:
    """For each plan: the visits of its episode from its start to today that still count (one query for
    all the plans: Today's list and the practice's figures ask for many at once)."""
    if not plans:
        return {}
    q = (
        select(care_plan.c.id, func.count(visit.c.id))
        .select_from(
            care_plan.outerjoin(
                visit,
                and_(
                    visit.c.episode_id == care_plan.c.episode_id,
                    visit.c.visit_date >= care_plan.c.start_date,
                    visit.c.visit_date <= today,
                    visit.c.status != "entered-in-error",
                ),
            )
        )
        .where(care_plan.c.id.in_([p["id"] for p in plans]))
        .group_by(care_plan.c.id)
    )
    return {int(pid): int(n) for pid, n in conn.execute(q)}


def still_booked(conn: Connection, plan_ids: list[int], after: datetime) -> dict[int, int]:
    """For each plan: its appointments still to come that hold their slot."""
    if not plan_ids:
        return {}
    q = (
        select(appointment.c.care_plan_id, func.count())
        .where(
            and_(
                appointment.c.care_plan_id.in_(plan_ids),
                appointment.c.starts_at >= after,
                appointment.c.status == "booked",
            )
        )
        .group_by(appointment.c.care_plan_id)
    )
    return {int(pid): int(n) for pid, n in conn.execute(q)}
