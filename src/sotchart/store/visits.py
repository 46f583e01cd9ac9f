"""Visit and episode-of-care rows, and the paged visit list of a chart."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select

from sotchart.store import versioned
from sotchart.store.tables import app_user, episode, visit, visit_revision


def create(
    conn: Connection, *, clinic_id: int, patient_id: int, values: dict[str, Any], actor_id: int | None, now: datetime
) -> dict[str, Any]:
    """The new visit's row, as a read of it would return it."""
    return dict(
        conn.execute(
            insert(visit)
            .values(
                clinic_id=clinic_id,
                patient_id=patient_id,
                **values,
                status="draft",
                version=1,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(*visit.c)
        )
        .one()
        ._mapping
    )


def get(conn: Connection, clinic_id: int, visit_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    q = select(visit).where(and_(visit.c.id == visit_id, visit.c.clinic_id == clinic_id))
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()  # SQLite's BEGIN IMMEDIATE already serialises writers
    row = conn.execute(q).first()
    return dict(row._mapping) if row else None


def update_if_version(
    conn: Connection,
    *,
    clinic_id: int,
    visit_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Compare-and-set on the version: the columns written, or None when someone else saved first."""
    return versioned.update_if_version(
        conn,
        visit,
        row_id=visit_id,
        expected_version=expected_version,
        values=values,
        actor_id=actor_id,
        now=now,
        clinic_id=clinic_id,
    )


def _timeline_columns() -> list[Any]:
    """What a line of the chart's visit list shows."""
    return [
        visit.c.id,
        visit.c.visit_date,
        visit.c.kind,
        visit.c.status,
        visit.c.complaint,
        visit.c.signed_at,
        visit.c.category,
        visit.c.category_side,
        visit.c.pain,
        visit.c.indicators_pre,
        visit.c.indicators_post,
        visit.c.safety_action,
        app_user.c.display_name.label("clinician_name"),
    ]


_PATIENT = and_(visit.c.patient_id == bindparam("patient_id"), visit.c.clinic_id == bindparam("clinic_id"))


def _page(*conds: Any) -> Any:
    return (
        select(*_timeline_columns(), visit.c.version)
        .outerjoin(app_user, app_user.c.id == visit.c.clinician_id)
        .where(and_(_PATIENT, *conds))
        .order_by(visit.c.visit_date.desc(), visit.c.id.desc())
        .limit(bindparam("limit"))
    )


_FIRST_PAGE = _page()
_PAGE_BEFORE = _page(
    (visit.c.visit_date < bindparam("before_date"))
    | and_(visit.c.visit_date == bindparam("before_date"), visit.c.id < bindparam("before_id"))
)


def page_for_patient(
    conn: Connection, *, clinic_id: int, patient_id: int, limit: int, before: tuple[date, int] | None = None
) -> list[dict[str, Any]]:
    """Newest first, keyset-paged on (visit_date, id), so page 20 costs what page 1 does."""
    params: dict[str, Any] = {"patient_id": patient_id, "clinic_id": clinic_id, "limit": limit}
    if before:
        params["before_date"], params["before_id"] = before
    rows = conn.execute(_PAGE_BEFORE if before else _FIRST_PAGE, params).all()
    return [dict(r._mapping) for r in rows]


def notes_for_patient(conn: Connection, *, clinic_id: int, patient_id: int) -> list[dict[str, Any]]:
    """Every visit with its note, oldest first, for the whole-chart document."""
    rows = conn.execute(
        select(*_timeline_columns(), visit.c.note, visit.c.status_reason)
        .outerjoin(app_user, app_user.c.id == visit.c.clinician_id)
        .where(and_(visit.c.patient_id == patient_id, visit.c.clinic_id == clinic_id))
        .order_by(visit.c.visit_date, visit.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


# Built once: the chart page runs these at every opening.
_SUMMARY = select(
    func.count(),
    func.min(visit.c.visit_date),
    func.max(visit.c.visit_date),
    func.sum((visit.c.status == "draft").cast(type_=visit.c.version.type)),
).where(_PATIENT)


def summary_for_patient(conn: Connection, *, clinic_id: int, patient_id: int) -> dict[str, Any]:
    row = conn.execute(_SUMMARY, {"patient_id": patient_id, "clinic_id": clinic_id}).one()
    return {"count": int(row[0]), "first": row[1], "last": row[2], "unsigned": int(row[3] or 0)}


def create_episode(
    conn: Connection,
    *,
    clinic_id: int,
    patient_id: int,
    complaint: str,
    start_date: date,
    actor_id: int | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(episode)
            .values(
                clinic_id=clinic_id,
                patient_id=patient_id,
                complaint=complaint,
                start_date=start_date,
                status="active",
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(episode.c.id)
        ).scalar_one()
    )


def episodes_for_patient(conn: Connection, *, clinic_id: int, patient_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(episode)
        .where(and_(episode.c.patient_id == patient_id, episode.c.clinic_id == clinic_id))
        .order_by(episode.c.start_date.desc())
    ).all()
    return [dict(r._mapping) for r in rows]


def get_episode(conn: Connection, clinic_id: int, episode_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(episode).where(and_(episode.c.id == episode_id, episode.c.clinic_id == clinic_id))
    ).first()
    return dict(row._mapping) if row else None


_PROGRESS = (
    select(
        visit.c.visit_date,
        visit.c.status,
        visit.c.pain,
        visit.c.indicators_pre,
        visit.c.indicators_post,
        visit.c.category,
        visit.c.category_side,
    )
    .where(
        and_(
            _PATIENT,
            visit.c.status != "entered-in-error",
            or_(visit.c.pain.is_not(None), visit.c.revision > 0),
        )
    )
    .order_by(visit.c.visit_date.desc(), visit.c.id.desc())
    .limit(bindparam("limit"))
)


def progress_series(conn: Connection, *, clinic_id: int, patient_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """The latest visits' pain, indicators before and after, and category, oldest first, for the charts."""
    rows = conn.execute(_PROGRESS, {"patient_id": patient_id, "clinic_id": clinic_id, "limit": limit}).all()
    return [dict(r._mapping) for r in reversed(rows)]


_PLANS = (
    select(visit_revision.c.document)
    .join(visit, and_(visit.c.id == visit_revision.c.visit_id, visit.c.revision == visit_revision.c.revision))
    .where(
        and_(
            _PATIENT,
            visit.c.status.in_(("signed", "amended")),
            visit.c.kind.in_(("new-patient", "re-examination")),
        )
    )
    .order_by(visit.c.visit_date.desc(), visit.c.id.desc())
    .limit(3)
)


def care_plan_goals(conn: Connection, *, clinic_id: int, patient_id: int) -> str:
    """The goals of the latest care plan signed for the patient (at an initial visit or a re-examination)."""
    return latest_intake_answer(conn, clinic_id=clinic_id, patient_id=patient_id, key="plan.goals")


def latest_intake_answer(conn: Connection, *, clinic_id: int, patient_id: int, key: str) -> str:
    """An intake answer (a plan's goals, its frequency) as the latest signed initial visit or re-examination
    that gave one wrote it."""
    for (document,) in conn.execute(_PLANS, {"patient_id": patient_id, "clinic_id": clinic_id}):
        answer = str((json.loads(document).get("intake") or {}).get(key) or "").strip()
        if answer:
            return answer
    return ""


def day_list(conn: Connection, *, clinic_id: int, day: date) -> list[dict[str, Any]]:
    from sotchart.store.tables import patient

    rows = conn.execute(
        select(
            visit.c.id,
            visit.c.kind,
            visit.c.status,
            visit.c.created_at,
            visit.c.safety_action,
            visit.c.category,
            visit.c.category_side,
            patient.c.id.label("patient_id"),
            patient.c.family_name,
            patient.c.given_name,
            patient.c.chart_number,
            app_user.c.display_name.label("clinician_name"),
            visit.c.clinician_id,
        )
        .join(patient, patient.c.id == visit.c.patient_id)
        .outerjoin(app_user, app_user.c.id == visit.c.clinician_id)
        .where(and_(visit.c.clinic_id == clinic_id, visit.c.visit_date == day))
        .order_by(visit.c.created_at)
    ).all()
    return [dict(r._mapping) for r in rows]


def unsigned_before(conn: Connection, *, clinic_id: int, before: datetime, limit: int = 100) -> list[dict[str, Any]]:
    from sotchart.store.tables import patient

    rows = conn.execute(
        select(
            visit.c.id,
            visit.c.visit_date,
            visit.c.created_at,
            patient.c.id.label("patient_id"),
            patient.c.family_name,
            patient.c.given_name,
            app_user.c.display_name.label("clinician_name"),
            visit.c.clinician_id,
        )
        .join(patient, patient.c.id == visit.c.patient_id)
        .outerjoin(app_user, app_user.c.id == visit.c.clinician_id)
        .where(and_(visit.c.clinic_id == clinic_id, visit.c.status == "draft", visit.c.created_at < before))
        .order_by(visit.c.created_at)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def on_day(conn: Connection, *, clinic_id: int, patient_id: int, day: date) -> dict[str, Any] | None:
    """The patient's visit of that day that still counts (not entered in error), the earliest first."""
    row = conn.execute(
        select(visit)
        .where(
            and_(
                visit.c.clinic_id == clinic_id,
                visit.c.patient_id == patient_id,
                visit.c.visit_date == day,
                visit.c.status != "entered-in-error",
            )
        )
        .order_by(visit.c.id)
        .limit(1)
    ).first()
    return dict(row._mapping) if row else None
