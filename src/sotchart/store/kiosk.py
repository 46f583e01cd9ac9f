"""Kiosk sessions: a link that lets a tablet record one patient's questionnaires and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from sotchart.store.tables import kiosk_session, patient


def create(
    conn: Connection,
    *,
    token_hash: str,
    clinic_id: int,
    patient_id: int,
    opened_by: int,
    instruments: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        insert(kiosk_session).values(
            id=token_hash,
            clinic_id=clinic_id,
            patient_id=patient_id,
            opened_by=opened_by,
            instruments=instruments,
            created_at=now,
            expires_at=expires_at,
        )
    )


def live(conn: Connection, token_hash: str, now: datetime) -> dict[str, Any] | None:
    row = conn.execute(
        select(kiosk_session, patient.c.given_name)
        .join(patient, patient.c.id == kiosk_session.c.patient_id)
        .where(
            and_(kiosk_session.c.id == token_hash, kiosk_session.c.ended_at.is_(None), kiosk_session.c.expires_at > now)
        )
    ).first()
    return dict(row._mapping) if row else None


def end(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(kiosk_session).where(kiosk_session.c.id == token_hash).values(ended_at=now))
