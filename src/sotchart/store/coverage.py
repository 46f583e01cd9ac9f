"""Coverage rows: a patient's insurance, in priority order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, insert, select, update

from sotchart.store.tables import coverage


def add(
    conn: Connection, *, clinic_id: int, patient_id: int, values: dict[str, Any], actor_id: int | None, now: datetime
) -> int:
    return int(
        conn.execute(
            insert(coverage)
            .values(
                clinic_id=clinic_id,
                patient_id=patient_id,
                **values,
                status="active",
                version=1,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(coverage.c.id)
        ).scalar_one()
    )


def of_patient(conn: Connection, clinic_id: int, patient_id: int) -> list[dict[str, Any]]:
    order = case({"primary": 0, "secondary": 1, "tertiary": 2}, value=coverage.c.priority, else_=3)
    q = (
        select(coverage)
        .where(and_(coverage.c.clinic_id == clinic_id, coverage.c.patient_id == patient_id))
        .order_by(coverage.c.status, order, coverage.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def end(conn: Connection, *, clinic_id: int, coverage_id: int, actor_id: int | None, now: datetime) -> int:
    result = conn.execute(
        update(coverage)
        .where(and_(coverage.c.id == coverage_id, coverage.c.clinic_id == clinic_id, coverage.c.status == "active"))
        .values(
            status="ended", end_date=now.date(), version=coverage.c.version + 1, updated_at=now, updated_by=actor_id
        )
    )
    return int(result.rowcount)
