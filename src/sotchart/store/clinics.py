"""Clinic rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from sotchart.store.tables import clinic


def create(conn: Connection, *, name: str, now: datetime) -> int:
    return int(conn.execute(insert(clinic).values(name=name, created_at=now).returning(clinic.c.id)).scalar_one())


def get(conn: Connection, clinic_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(clinic).where(clinic.c.id == clinic_id)).first()
    return dict(row._mapping) if row else None


def time_zone(conn: Connection, clinic_id: int) -> str | None:
    return conn.execute(select(clinic.c.time_zone).where(clinic.c.id == clinic_id)).scalar()


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(clinic)).scalar_one())


def first(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(clinic).order_by(clinic.c.id).limit(1)).first()
    return dict(row._mapping) if row else None


def all_rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(clinic).order_by(clinic.c.id))]


def set_details(conn: Connection, clinic_id: int, **values: Any) -> None:
    conn.execute(update(clinic).where(clinic.c.id == clinic_id).values(**values))
