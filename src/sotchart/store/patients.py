"""Patient rows, their alerts, and the patient search."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select

from sotchart.store import versioned
from sotchart.store.tables import clinic, patient, patient_alert

_TOP = "\U0010ffff"  # sorts after every character: [p, p+_TOP) holds exactly the keys starting with p


def create(conn: Connection, *, clinic_id: int, values: dict[str, Any], actor_id: int | None, now: datetime) -> int:
    if conn.dialect.name == "postgresql":
        # Two registrations at once must not draw the same chart number; SQLite's write lock already serialises.
        conn.execute(select(clinic.c.id).where(clinic.c.id == clinic_id).with_for_update())
    seq = (
        int(
            conn.execute(select(func.count()).select_from(patient).where(patient.c.clinic_id == clinic_id)).scalar_one()
        )
        + 1
    )
    # Imported patients keep the chart numbers they came with, so the next number may be taken already.
    while chart_number_taken(conn, clinic_id, f"P{seq:06d}"):
        seq += 1
    return int(
        conn.execute(
            insert(patient)
            .values(
                clinic_id=clinic_id,
                chart_number=f"P{seq:06d}",
                **values,
                version=1,
                status="active",
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(patient.c.id)
        ).scalar_one()
    )


def chart_number_taken(conn: Connection, clinic_id: int, chart_number: str) -> bool:
    found = conn.execute(
        select(patient.c.id).where(and_(patient.c.clinic_id == clinic_id, patient.c.chart_number == chart_number))
    ).first()
    return found is not None


def ids_in_clinic(conn: Connection, clinic_id: int) -> list[int]:
    return [
        r[0] for r in conn.execute(select(patient.c.id).where(patient.c.clinic_id == clinic_id).order_by(patient.c.id))
    ]


def get(conn: Connection, clinic_id: int, patient_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(patient).where(and_(patient.c.id == patient_id, patient.c.clinic_id == clinic_id))
    ).first()
    return dict(row._mapping) if row else None


def update_if_version(
    conn: Connection,
    *,
    clinic_id: int,
    patient_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any] | None:
    """Compare-and-set on the version: the columns written, or None when someone else saved first."""
    return versioned.update_if_version(
        conn,
        patient,
        row_id=patient_id,
        expected_version=expected_version,
        values=values,
        actor_id=actor_id,
        now=now,
        clinic_id=clinic_id,
    )


def search(
    conn: Connection,
    *,
    clinic_id: int,
    family_prefix: str = "",
    given_prefix: str = "",
    any_name_prefix: str = "",
    birth_date: date | None = None,
    identifier: str = "",
    phone_key_prefix: str = "",
    email_prefix: str = "",
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Matches ordered by family then given name. A one-word name searches both names: family-name
    matches come first, then given-name matches, each read along its own index."""
    if any_name_prefix and not (family_prefix or given_prefix or birth_date or identifier or phone_key_prefix):
        by_family = search(conn, clinic_id=clinic_id, family_prefix=any_name_prefix, limit=limit)
        seen = {r["id"] for r in by_family}
        rows = conn.execute(
            select(patient)
            .where(
                and_(
                    patient.c.clinic_id == clinic_id,
                    patient.c.given_key >= any_name_prefix,
                    patient.c.given_key < any_name_prefix + _TOP,
                )
            )
            .order_by(patient.c.given_key, patient.c.id)
            .limit(limit)
        ).all()
        by_given = sorted(
            (dict(r._mapping) for r in rows if r.id not in seen),
            key=lambda r: (r["family_key"], r["given_key"], r["id"]),
        )
        return (by_family + by_given)[:limit]
    conds = [patient.c.clinic_id == clinic_id]
    # The phone's reversed digits and the folded email are index ranges too (ix_patient_phone_key, _email_key).
    if phone_key_prefix:
        conds += [patient.c.phone_key >= phone_key_prefix, patient.c.phone_key < phone_key_prefix + _TOP]
    if email_prefix:
        conds += [patient.c.email_key >= email_prefix, patient.c.email_key < email_prefix + _TOP]
    if family_prefix:
        conds += [patient.c.family_key >= family_prefix, patient.c.family_key < family_prefix + _TOP]
    if given_prefix:
        conds += [patient.c.given_key >= given_prefix, patient.c.given_key < given_prefix + _TOP]
    if any_name_prefix:
        conds.append(
            or_(
                and_(patient.c.family_key >= any_name_prefix, patient.c.family_key < any_name_prefix + _TOP),
                and_(patient.c.given_key >= any_name_prefix, patient.c.given_key < any_name_prefix + _TOP),
            )
        )
    if birth_date:
        conds.append(patient.c.birth_date == birth_date)
    if identifier:
        conds.append(or_(patient.c.chart_number == identifier.upper(), patient.c.external_id == identifier))
    rows = conn.execute(
        select(patient)
        .where(and_(*conds))
        .order_by(patient.c.family_key, patient.c.given_key, patient.c.id)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def count(conn: Connection, clinic_id: int | None = None) -> int:
    q = select(func.count()).select_from(patient)
    if clinic_id is not None:
        q = q.where(patient.c.clinic_id == clinic_id)
    return int(conn.execute(q).scalar_one())


def add_alert(conn: Connection, *, patient_id: int, kind: str, text: str, actor_id: int | None, now: datetime) -> int:
    return int(
        conn.execute(
            insert(patient_alert)
            .values(
                patient_id=patient_id,
                kind=kind,
                text=text,
                active=True,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(patient_alert.c.id)
        ).scalar_one()
    )


def alerts(conn: Connection, patient_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(patient_alert)
        .where(and_(patient_alert.c.patient_id == patient_id, patient_alert.c.active.is_(True)))
        .order_by(patient_alert.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def same_name_and_birth(
    conn: Connection, *, clinic_id: int, family_key: str, given_key: str, birth_date: date
) -> list[dict[str, Any]]:
    """Registered patients of the clinic who may be the same person: same name (by search key) and birth date."""
    rows = conn.execute(
        select(patient.c.id, patient.c.chart_number, patient.c.family_name, patient.c.given_name).where(
            and_(
                patient.c.clinic_id == clinic_id,
                patient.c.family_key == family_key,
                patient.c.given_key == given_key,
                patient.c.birth_date == birth_date,
            )
        )
    ).all()
    return [dict(r._mapping) for r in rows]


def same_person(
    conn: Connection,
    *,
    clinic_id: int,
    family_key: str,
    given_key: str,
    birth_date: date,
    phone_key: str = "",
    email_key: str = "",
) -> list[dict[str, Any]]:
    """Registered patients who may be the same person, each with what matched: name and birth date, phone,
    email (each read along its own index)."""
    found: dict[int, dict[str, Any]] = {}
    for row in same_name_and_birth(
        conn, clinic_id=clinic_id, family_key=family_key, given_key=given_key, birth_date=birth_date
    ):
        found.setdefault(row["id"], {**row, "matched": []})["matched"].append("name and birth date")
    for what, column, key in (("phone", patient.c.phone_key, phone_key), ("email", patient.c.email_key, email_key)):
        if not key:
            continue
        q = select(patient.c.id, patient.c.chart_number, patient.c.family_name, patient.c.given_name).where(
            and_(patient.c.clinic_id == clinic_id, column == key)
        )
        for r in conn.execute(q.limit(5)):
            found.setdefault(r.id, {**dict(r._mapping), "matched": []})["matched"].append(what)
    return list(found.values())


def listed(
    conn: Connection, *, clinic_id: int, in_care: bool = False, seen_before: date | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The front desk's lists: patients with an active care plan, or whose last visit (that counts) was
    before a date; each with that last visit's date."""
    from sotchart.store.tables import care_plan, visit

    last = (
        select(visit.c.patient_id, func.max(visit.c.visit_date).label("last_visit"))
        .where(and_(visit.c.clinic_id == clinic_id, visit.c.status != "entered-in-error"))
        .group_by(visit.c.patient_id)
        .subquery()
    )
    q = select(patient, last.c.last_visit).outerjoin(last, last.c.patient_id == patient.c.id)
    conds = [patient.c.clinic_id == clinic_id, patient.c.status == "active"]
    if in_care:
        active = select(care_plan.c.patient_id).where(
            and_(care_plan.c.clinic_id == clinic_id, care_plan.c.status == "active")
        )
        conds.append(patient.c.id.in_(active))
    if seen_before is not None:
        conds.append(last.c.last_visit < seen_before)
    rows = conn.execute(
        q.where(and_(*conds)).order_by(patient.c.family_key, patient.c.given_key, patient.c.id).limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]
