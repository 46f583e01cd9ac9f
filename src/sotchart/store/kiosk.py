"""The tablet's sessions (a short code shown at the desk, then the tablet's own device cookie) and what a
patient gives on it. Only digests of the code and of the cookie are kept."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from sotchart.store.tables import appointment, kiosk_session, patient, patient_intake


def create(
    conn: Connection,
    *,
    session_id: str,
    clinic_id: int,
    patient_id: int,
    opened_by: int,
    task: str,
    appointment_id: int | None,
    instruments: str,
    code_hash: str,
    code_expires_at: datetime,
    now: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        insert(kiosk_session).values(
            id=session_id,
            clinic_id=clinic_id,
            patient_id=patient_id,
            opened_by=opened_by,
            task=task,
            appointment_id=appointment_id,
            instruments=instruments,
            code_hash=code_hash,
            code_expires_at=code_expires_at,
            created_at=now,
            expires_at=expires_at,
        )
    )


def _live(now: datetime) -> Any:
    return and_(kiosk_session.c.ended_at.is_(None), kiosk_session.c.expires_at > now)


def _with_patient() -> Any:
    return select(
        kiosk_session, patient.c.given_name, patient.c.preferred_name, patient.c.sex, patient.c.family_name
    ).join(patient, patient.c.id == kiosk_session.c.patient_id)


def get(conn: Connection, clinic_id: int, session_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        _with_patient().where(and_(kiosk_session.c.id == session_id, kiosk_session.c.clinic_id == clinic_id))
    ).first()
    return _row(row)


def by_code(conn: Connection, code_hash: str, now: datetime, *, lock: bool = False) -> dict[str, Any] | None:
    q = _with_patient().where(
        and_(
            kiosk_session.c.code_hash == code_hash,
            kiosk_session.c.code_expires_at > now,
            kiosk_session.c.claimed_at.is_(None),
            _live(now),
        )
    )
    row = conn.execute(q.with_for_update(of=kiosk_session) if lock else q).first()
    return _row(row)


def by_device(conn: Connection, device_hash: str, now: datetime) -> dict[str, Any] | None:
    row = conn.execute(_with_patient().where(and_(kiosk_session.c.device_hash == device_hash, _live(now)))).first()
    return _row(row)


def _row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row._mapping)
    out["progress"] = json.loads(out["progress"]) if out["progress"] else {}
    return out


def claim(conn: Connection, session_id: str, device_hash: str, now: datetime) -> bool:
    """The code is spent by the first tablet to type it; a second tablet finds nothing."""
    done = conn.execute(
        update(kiosk_session)
        .where(and_(kiosk_session.c.id == session_id, kiosk_session.c.claimed_at.is_(None)))
        .values(claimed_at=now, device_hash=device_hash, code_hash=None)
    )
    return done.rowcount == 1


def new_code(conn: Connection, session_id: str, code_hash: str, code_expires_at: datetime) -> bool:
    done = conn.execute(
        update(kiosk_session)
        .where(and_(kiosk_session.c.id == session_id, kiosk_session.c.claimed_at.is_(None)))
        .values(code_hash=code_hash, code_expires_at=code_expires_at)
    )
    return done.rowcount == 1


def save_progress(conn: Connection, session_id: str, progress: dict[str, Any]) -> None:
    conn.execute(update(kiosk_session).where(kiosk_session.c.id == session_id).values(progress=json.dumps(progress)))


def end(conn: Connection, session_id: str, now: datetime, outcome: str) -> None:
    conn.execute(
        update(kiosk_session)
        .where(and_(kiosk_session.c.id == session_id, kiosk_session.c.ended_at.is_(None)))
        .values(ended_at=now, outcome=outcome, code_hash=None)
    )


def end_open_for(conn: Connection, clinic_id: int, patient_id: int, now: datetime) -> None:
    """A new handover ends the patient's earlier one that no tablet has taken yet: one code per patient."""
    conn.execute(
        update(kiosk_session)
        .where(
            and_(
                kiosk_session.c.clinic_id == clinic_id,
                kiosk_session.c.patient_id == patient_id,
                kiosk_session.c.claimed_at.is_(None),
                kiosk_session.c.ended_at.is_(None),
            )
        )
        .values(ended_at=now, outcome="replaced", code_hash=None)
    )


def live_of_patients(conn: Connection, clinic_id: int, patient_ids: list[int], now: datetime) -> dict[int, str]:
    """Each listed patient's tablet now: 'code' (shown at the desk), 'tablet' (being filled in)."""
    if not patient_ids:
        return {}
    rows = conn.execute(
        select(kiosk_session.c.patient_id, kiosk_session.c.claimed_at).where(
            and_(kiosk_session.c.clinic_id == clinic_id, kiosk_session.c.patient_id.in_(patient_ids), _live(now))
        )
    )
    out: dict[int, str] = {}
    for r in rows:
        out[r.patient_id] = "tablet" if r.claimed_at is not None or out.get(r.patient_id) == "tablet" else "code"
    return out


# --- the intake a patient gave ---


def add_intake(conn: Connection, values: dict[str, Any]) -> int:
    values = {**values, "answers": json.dumps(values["answers"], sort_keys=True)}
    key = conn.execute(insert(patient_intake).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _intake(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["answers"] = json.loads(out["answers"])
    return out


def get_intake(conn: Connection, clinic_id: int, intake_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(patient_intake).where(and_(patient_intake.c.id == intake_id, patient_intake.c.clinic_id == clinic_id))
    ).first()
    return _intake(row) if row else None


def for_visit(
    conn: Connection, clinic_id: int, v: dict[str, Any], day_start: datetime, day_end: datetime
) -> list[dict[str, Any]]:
    """The intakes that belong to a visit: taken into it, or waiting and given for its appointment or (given
    without one) on its day."""
    of_visit = select(appointment.c.id).where(appointment.c.visit_id == v["id"]).scalar_subquery()
    rows = conn.execute(
        select(patient_intake)
        .where(
            and_(
                patient_intake.c.clinic_id == clinic_id,
                patient_intake.c.patient_id == v["patient_id"],
                or_(
                    patient_intake.c.visit_id == v["id"],
                    and_(
                        patient_intake.c.visit_id.is_(None),
                        or_(
                            patient_intake.c.appointment_id.in_(of_visit),
                            and_(
                                patient_intake.c.appointment_id.is_(None),
                                patient_intake.c.submitted_at >= day_start,
                                patient_intake.c.submitted_at < day_end,
                            ),
                        ),
                    ),
                ),
            )
        )
        .order_by(patient_intake.c.submitted_at)
    )
    return [_intake(r) for r in rows]


def waiting_of_patients(conn: Connection, clinic_id: int, patient_ids: list[int], since: datetime) -> set[int]:
    if not patient_ids:
        return set()
    rows = conn.execute(
        select(patient_intake.c.patient_id).where(
            and_(
                patient_intake.c.clinic_id == clinic_id,
                patient_intake.c.patient_id.in_(patient_ids),
                patient_intake.c.visit_id.is_(None),
                patient_intake.c.submitted_at >= since,
            )
        )
    )
    return {r.patient_id for r in rows}


def mark_taken(conn: Connection, intake_id: int, visit_id: int, by: int | None, now: datetime) -> bool:
    done = conn.execute(
        update(patient_intake)
        .where(and_(patient_intake.c.id == intake_id, patient_intake.c.visit_id.is_(None)))
        .values(visit_id=visit_id, reviewed_by=by, reviewed_at=now)
    )
    return done.rowcount == 1
