"""The practice's business figures as read from its rows: visits held by day, patients' first visits, the
patients of one span seen again in the next, care plans begun, and appointments by what became of them.
The same filters as the clinical analytics (clinic, period, clinician, complaints as typed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select

from sotchart.store.analytics import Filters
from sotchart.store.tables import appointment, care_plan, episode, visit

# A visit held counts whether or not its note is signed yet; one entered in error never happened.
_HELD = visit.c.status != "entered-in-error"


def _visit_conds(f: Filters, start: date, end: date) -> list[Any]:
    conds = [visit.c.clinic_id == f.clinic_id, _HELD, visit.c.visit_date >= start, visit.c.visit_date <= end]
    if f.clinician_id is not None:
        conds.append(visit.c.clinician_id == f.clinician_id)
    if f.complaints:
        conds.append(visit.c.complaint.in_(f.complaints))
    return conds


def visits_by_day(conn: Connection, f: Filters) -> dict[date, int]:
    rows = conn.execute(
        select(visit.c.visit_date, func.count())
        .where(and_(*_visit_conds(f, f.start, f.end)))
        .group_by(visit.c.visit_date)
    )
    return {d: int(n) for d, n in rows}


def patients_seen(conn: Connection, f: Filters) -> int:
    q = select(func.count(func.distinct(visit.c.patient_id))).where(and_(*_visit_conds(f, f.start, f.end)))
    return int(conn.execute(q).scalar_one())


def seen_again(conn: Connection, f: Filters, before: tuple[date, date]) -> tuple[int, int]:
    """Of the patients seen in the span before the period, how many, and how many were seen in it."""
    earlier = select(visit.c.patient_id).where(and_(*_visit_conds(f, *before))).distinct().subquery()
    now_seen = select(visit.c.patient_id).where(and_(*_visit_conds(f, f.start, f.end))).distinct().subquery()
    q = select(func.count(), func.count(now_seen.c.patient_id)).select_from(
        earlier.outerjoin(now_seen, now_seen.c.patient_id == earlier.c.patient_id)
    )
    total, again = conn.execute(q).one()
    return int(total), int(again)


def first_visits(conn: Connection, f: Filters) -> list[tuple[date, int]]:
    """Each patient whose first visit (under the filters: with this clinician, for this complaint) fell in
    the period: that first day, and how many visits they had from it to the period's end."""
    conds = _visit_conds(f, date.min, f.end)
    first = func.min(visit.c.visit_date)
    rows = conn.execute(
        select(first, func.count())
        .where(and_(*conds))
        .group_by(visit.c.patient_id)
        .having(and_(first >= f.start, first <= f.end))
    )
    return [(d if isinstance(d, date) else date.fromisoformat(str(d)), int(n)) for d, n in rows]


def plans_begun(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """The care plans begun in the period (the clinician's own when one is chosen; their episode's
    complaint when complaints are)."""
    conds = [care_plan.c.clinic_id == f.clinic_id, care_plan.c.start_date >= f.start, care_plan.c.start_date <= f.end]
    if f.clinician_id is not None:
        conds.append(care_plan.c.created_by == f.clinician_id)
    if f.complaints:
        conds.append(episode.c.complaint.in_(f.complaints))
    rows = conn.execute(
        select(care_plan)
        .select_from(care_plan.join(episode, episode.c.id == care_plan.c.episode_id))
        .where(and_(*conds))
    )
    return [dict(r._mapping) for r in rows]


def appointments_by_bucket(conn: Connection, f: Filters, edges: Sequence[datetime]) -> dict[tuple[int, str], int]:
    """Appointments starting between the first and last of `edges` (moments, in order), counted by the
    span between two edges they fall in and by their status."""
    bucket = case(*((appointment.c.starts_at < edge, literal(i)) for i, edge in enumerate(edges[1:])), else_=-1)
    rows = conn.execute(
        select(bucket, appointment.c.status, func.count())
        .select_from(_appointments(f))
        .where(and_(*_appointment_conds(f, edges[0], edges[-1])))
        .group_by(bucket, appointment.c.status)
    )
    return {(int(b), str(s)): int(n) for b, s, n in rows}


def cancellation_reasons(
    conn: Connection, f: Filters, since: datetime, until: datetime, limit: int
) -> list[tuple[str, int]]:
    n = func.count().label("n")
    rows = conn.execute(
        select(appointment.c.status_reason, n)
        .select_from(_appointments(f))
        .where(and_(*_appointment_conds(f, since, until), appointment.c.status == "cancelled"))
        .group_by(appointment.c.status_reason)
        .order_by(n.desc(), appointment.c.status_reason)
        .limit(limit)
    )
    return [(str(r), int(c)) for r, c in rows]


def _appointments(f: Filters) -> Any:
    # An appointment's complaint is its episode's; one booked without an episode has none to match.
    return appointment.outerjoin(episode, episode.c.id == appointment.c.episode_id) if f.complaints else appointment


def _appointment_conds(f: Filters, since: datetime, until: datetime) -> list[Any]:
    conds = [appointment.c.clinic_id == f.clinic_id, appointment.c.starts_at >= since, appointment.c.starts_at < until]
    if f.clinician_id is not None:
        conds.append(appointment.c.clinician_id == f.clinician_id)
    if f.complaints:
        conds.append(episode.c.complaint.in_(f.complaints))
    return conds
