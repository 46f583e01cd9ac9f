"""Questionnaire responses and their scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, insert, select

from sotchart.store.tables import questionnaire_response as qr


def add(
    conn: Connection,
    *,
    clinic_id: int,
    patient_id: int,
    visit_id: int | None,
    instrument: str,
    instrument_version: str,
    scoring_version: str,
    answers: list[Any],
    activities: list[str],
    score: float,
    percent: float | None,
    band: str | None,
    answered_on: date,
    actor_id: int | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(qr)
            .values(
                clinic_id=clinic_id,
                patient_id=patient_id,
                visit_id=visit_id,
                instrument=instrument,
                instrument_version=instrument_version,
                scoring_version=scoring_version,
                answers=orjson.dumps(answers).decode(),
                activities=orjson.dumps(activities).decode(),
                score=score,
                percent=percent,
                band=band,
                answered_on=answered_on,
                created_at=now,
                created_by=actor_id,
            )
            .returning(qr.c.id)
        ).scalar_one()
    )


def for_patient(conn: Connection, *, clinic_id: int, patient_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(qr)
        .where(and_(qr.c.clinic_id == clinic_id, qr.c.patient_id == patient_id, qr.c.status == "completed"))
        .order_by(qr.c.instrument, qr.c.answered_on, qr.c.id)
    ).all()
    out = []
    for r in rows:
        d = dict(r._mapping)
        d["answers"] = orjson.loads(d["answers"])
        d["activities"] = orjson.loads(d["activities"])
        out.append(d)
    return out
