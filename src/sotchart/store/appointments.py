"""Appointment, appointment-type and room rows, and the calendar's reads of a day or a week."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from sotchart.store import versioned
from sotchart.store.tables import app_user, appointment, appointment_type, patient, room, visit

HOLDING = ("booked", "arrived", "in-room", "with-clinician", "done")


# --- types and rooms ---


def add_types(conn: Connection, clinic_id: int, types: Iterable[dict[str, Any]]) -> None:
    rows = [{**t, "clinic_id": clinic_id, "active": True} for t in types]
    if rows:
        conn.execute(insert(appointment_type), rows)


def types_of(conn: Connection, clinic_id: int) -> list[dict[str, Any]]:
    q = select(appointment_type).where(appointment_type.c.clinic_id == clinic_id).order_by(appointment_type.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def rooms_of(conn: Connection, clinic_id: int) -> list[dict[str, Any]]:
    q = select(room).where(room.c.clinic_id == clinic_id).order_by(room.c.name)
    return [dict(r._mapping) for r in conn.execute(q)]


def add_room(conn: Connection, clinic_id: int, name: str, now: datetime) -> int:
    return int(
        conn.execute(
            insert(room).values(clinic_id=clinic_id, name=name, active=True, created_at=now).returning(room.c.id)
        ).scalar_one()
    )


# --- appointments ---

_SHOWN = (
    *appointment.c,
    patient.c.family_name,
    patient.c.given_name,
    patient.c.chart_number,
    app_user.c.display_name.label("clinician_name"),
    appointment_type.c.code.label("type_code"),
    appointment_type.c.name.label("type_name"),
    appointment_type.c.colour,
    appointment_type.c.visit_kind,
    room.c.name.label("room_name"),
    visit.c.status.label("visit_status"),
)


def _shown() -> Any:
    return (
        select(*_SHOWN)
        .join(patient, patient.c.id == appointment.c.patient_id)
        .join(app_user, app_user.c.id == appointment.c.clinician_id)
        .join(appointment_type, appointment_type.c.id == appointment.c.type_id)
        .outerjoin(room, room.c.id == appointment.c.room_id)
        .outerjoin(visit, visit.c.id == appointment.c.visit_id)
    )


def create(conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime) -> int:
    return int(
        conn.execute(
            insert(appointment)
            .values(
                clinic_id=clinic_id,
                **values,
                version=1,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(appointment.c.id)
        ).scalar_one()
    )


def create_many(
    conn: Connection, *, clinic_id: int, rows: list[dict[str, Any]], actor_id: int | None, now: datetime
) -> list[int]:
    """A care plan's series in one statement per row, in the caller's transaction."""
    return [create(conn, clinic_id=clinic_id, values=r, actor_id=actor_id, now=now) for r in rows]


def get(conn: Connection, clinic_id: int, appointment_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        _shown().where(and_(appointment.c.id == appointment_id, appointment.c.clinic_id == clinic_id))
    ).first()
    return dict(row._mapping) if row else None


def update_if_version(
    conn: Connection,
    *,
    clinic_id: int,
    appointment_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any] | None:
    return versioned.update_if_version(
        conn,
        appointment,
        row_id=appointment_id,
        expected_version=expected_version,
        values=values,
        actor_id=actor_id,
        now=now,
        clinic_id=clinic_id,
    )


def between(
    conn: Connection,
    *,
    clinic_id: int,
    start: datetime,
    end: datetime,
    clinician_ids: list[int] | None = None,
    patient_id: int | None = None,
    holding_only: bool = False,
) -> list[dict[str, Any]]:
    """The appointments that start in [start, end), in time order, with who, what and where."""
    conds = [appointment.c.clinic_id == clinic_id, appointment.c.starts_at >= start, appointment.c.starts_at < end]
    if clinician_ids:
        conds.append(appointment.c.clinician_id.in_(clinician_ids))
    if patient_id is not None:
        conds.append(appointment.c.patient_id == patient_id)
    if holding_only:
        conds.append(appointment.c.status.in_(HOLDING))
    q = _shown().where(and_(*conds)).order_by(appointment.c.starts_at, appointment.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def slots_between(
    conn: Connection, *, clinic_id: int, start: datetime, end: datetime, clinician_ids: list[int] | None = None
) -> list[tuple[int, datetime, datetime, str]]:
    """(clinician, start, end, status) of the appointments starting in [start, end): the week's counts,
    which name no patient."""
    conds = [appointment.c.clinic_id == clinic_id, appointment.c.starts_at >= start, appointment.c.starts_at < end]
    if clinician_ids:
        conds.append(appointment.c.clinician_id.in_(clinician_ids))
    q = select(appointment.c.clinician_id, appointment.c.starts_at, appointment.c.ends_at, appointment.c.status)
    return [tuple(r) for r in conn.execute(q.where(and_(*conds)))]


def near(
    conn: Connection, *, clinic_id: int, start: datetime, end: datetime, longest_minutes: int = 240
) -> list[dict[str, Any]]:
    """The slot-holding appointments that could overlap [start, end): those starting up to the longest
    appointment's length before it (an index range on the clinic and start time)."""
    q = select(
        appointment.c.id,
        appointment.c.patient_id,
        appointment.c.clinician_id,
        appointment.c.room_id,
        appointment.c.starts_at,
        appointment.c.ends_at,
    ).where(
        and_(
            appointment.c.clinic_id == clinic_id,
            appointment.c.starts_at >= start - timedelta(minutes=longest_minutes),
            appointment.c.starts_at < end,
            appointment.c.status.in_(HOLDING),
        )
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def of_plan(conn: Connection, clinic_id: int, care_plan_id: int) -> list[dict[str, Any]]:
    q = select(appointment).where(
        and_(appointment.c.clinic_id == clinic_id, appointment.c.care_plan_id == care_plan_id)
    )
    return [dict(r._mapping) for r in conn.execute(q.order_by(appointment.c.starts_at))]


def with_visit(conn: Connection, clinic_id: int, visit_id: int) -> int | None:
    """The appointment a visit was opened from, if any."""
    return conn.execute(
        select(appointment.c.id).where(and_(appointment.c.clinic_id == clinic_id, appointment.c.visit_id == visit_id))
    ).scalar()


def set_plan(conn: Connection, appointment_id: int, care_plan_id: int, plan_number: int) -> None:
    """An appointment carried over to the plan that replaced its own, as that plan's visit `plan_number`."""
    conn.execute(
        update(appointment)
        .where(appointment.c.id == appointment_id)
        .values(care_plan_id=care_plan_id, plan_number=plan_number, version=appointment.c.version + 1)
    )
