"""Second (third, ...) examinations recorded blind at a visit, and what examiner agreement reads."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select

from sotchart.store.tables import examination, visit, visit_finding

SIGNED = ("signed", "amended")


def add(
    conn: Connection,
    *,
    clinic_id: int,
    patient_id: int,
    visit_id: int,
    examiner_id: int,
    findings: list[dict[str, Any]],
    category: int | None,
    category_side: str | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(examination)
            .values(
                clinic_id=clinic_id,
                patient_id=patient_id,
                visit_id=visit_id,
                examiner_id=examiner_id,
                findings=json.dumps(findings, separators=(",", ":")),
                category=category,
                category_side=category_side,
                created_at=now,
            )
            .returning(examination.c.id)
        ).scalar_one()
    )


def examiners_of(conn: Connection, visit_id: int) -> set[int]:
    return {r[0] for r in conn.execute(select(examination.c.examiner_id).where(examination.c.visit_id == visit_id))}


def for_agreement(conn: Connection, *, clinic_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Each signed visit in the period that has another examiner's examination: the visit's own signed
    pre-treatment findings and category first, then each other examiner's latest examination."""
    rows = conn.execute(
        select(
            examination.c.visit_id,
            examination.c.examiner_id,
            examination.c.findings,
            examination.c.category,
            examination.c.category_side,
            visit.c.clinician_id,
            visit.c.category.label("visit_category"),
            visit.c.category_side.label("visit_side"),
            visit.c.revision,
        )
        .join(visit, visit.c.id == examination.c.visit_id)
        .where(
            and_(
                examination.c.clinic_id == clinic_id,
                visit.c.status.in_(SIGNED),
                visit.c.visit_date >= start,
                visit.c.visit_date <= end,
            )
        )
        .order_by(examination.c.visit_id, examination.c.examiner_id, examination.c.id)
    ).all()
    visits: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r.examiner_id == r.clinician_id:
            continue  # the visit's own examiner is the visit's signed record
        v = visits.setdefault(
            r.visit_id,
            {"category": r.visit_category, "side": r.visit_side, "revision": r.revision, "findings": [], "others": {}},
        )
        # A later examination by the same examiner replaces theirs: the latest one counts.
        v["others"][r.examiner_id] = {
            "findings": json.loads(r.findings),
            "category": r.category,
            "side": r.category_side,
        }
    if visits:
        for f in conn.execute(
            select(
                visit_finding.c.visit_id,
                visit_finding.c.revision,
                visit_finding.c.code,
                visit_finding.c.value,
                visit_finding.c.side,
                visit_finding.c.location,
            ).where(and_(visit_finding.c.visit_id.in_(list(visits)), visit_finding.c.phase == "pre"))
        ):
            v = visits[f.visit_id]
            if f.revision == v["revision"]:
                v["findings"].append({"code": f.code, "value": f.value, "side": f.side, "location": f.location})
    return [{"visit_id": k, **v} for k, v in visits.items()]
