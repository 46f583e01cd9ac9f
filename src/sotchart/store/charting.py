"""Visit revisions (every save of the clinical record) and the signed findings written from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, insert, select

from sotchart.domain.findings import identity_key
from sotchart.store import versioned
from sotchart.store.tables import visit, visit_finding, visit_revision, visit_treatment

# Built once: these run at every save and signature.
_LATEST = (
    select(visit_revision)
    .where(visit_revision.c.visit_id == bindparam("visit_id"))
    .order_by(visit_revision.c.revision.desc())
    .limit(1)
)
_ADD = insert(visit_revision)


def latest(conn: Connection, visit_id: int) -> dict[str, Any] | None:
    row = conn.execute(_LATEST, {"visit_id": visit_id}).first()
    return _revision(row) if row else None


def at_revision(conn: Connection, visit_id: int, revision: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(visit_revision).where(and_(visit_revision.c.visit_id == visit_id, visit_revision.c.revision == revision))
    ).first()
    return _revision(row) if row else None


def saved_since(conn: Connection, visit_id: int, revision: int) -> list[dict[str, Any]]:
    """Who saved each revision after `revision`, and when."""
    rows = conn.execute(
        select(visit_revision.c.revision, visit_revision.c.created_by, visit_revision.c.created_at)
        .where(and_(visit_revision.c.visit_id == visit_id, visit_revision.c.revision > revision))
        .order_by(visit_revision.c.revision)
    ).all()
    return [dict(r._mapping) for r in rows]


def others_since(conn: Connection, visit_id: int, revision: int, actor_id: int | None) -> int:
    """Revisions after `revision` saved by someone other than this actor."""
    from sqlalchemy import func

    return int(
        conn.execute(
            select(func.count())
            .select_from(visit_revision)
            .where(
                and_(
                    visit_revision.c.visit_id == visit_id,
                    visit_revision.c.revision > revision,
                    visit_revision.c.created_by.is_distinct_from(actor_id),
                )
            )
        ).scalar_one()
    )


def history(conn: Connection, visit_id: int) -> list[dict[str, Any]]:
    """Signed and amended revisions (not every autosave), oldest first."""
    rows = conn.execute(
        select(
            visit_revision.c.revision,
            visit_revision.c.kind,
            visit_revision.c.reason,
            visit_revision.c.created_at,
            visit_revision.c.created_by,
        )
        .where(and_(visit_revision.c.visit_id == visit_id, visit_revision.c.kind != "draft"))
        .order_by(visit_revision.c.revision)
    ).all()
    return [dict(r._mapping) for r in rows]


def _revision(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["document"] = orjson.loads(d["document"])
    d["assessment"] = orjson.loads(d["assessment"])
    return d


def add(
    conn: Connection,
    *,
    visit_id: int,
    revision: int,
    document: dict[str, Any],
    assessment: dict[str, Any],
    kind: str,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    conn.execute(
        _ADD,
        {
            "visit_id": visit_id,
            "revision": revision,
            "document": orjson.dumps(document).decode(),
            "assessment": orjson.dumps(assessment).decode(),
            "kind": kind,
            "reason": reason,
            "created_at": now,
            "created_by": actor_id,
        },
    )


def set_summary(
    conn: Connection,
    *,
    visit_id: int,
    expected_version: int,
    values: dict[str, Any],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any] | None:
    return versioned.update_if_version(
        conn, visit, row_id=visit_id, expected_version=expected_version, values=values, actor_id=actor_id, now=now
    )


def write_findings(
    conn: Connection,
    *,
    clinic_id: int,
    patient_id: int,
    visit_id: int,
    revision: int,
    findings: list[dict[str, Any]],
    now: datetime,
) -> None:
    rows = [
        {
            "clinic_id": clinic_id,
            "patient_id": patient_id,
            "visit_id": visit_id,
            "revision": revision,
            "phase": f["phase"],
            "code": f["code"],
            "value": str(f["value"]),
            "side": f.get("side"),
            "location": f.get("location"),
            "grade": f.get("grade"),
            "mm": round(f["mm"] * 10) if f.get("mm") is not None else None,
            "region": f.get("region"),
            "level": f.get("level"),
            "line": f.get("line"),
            "area": f.get("area"),
            "point": str(f["point"]) if f.get("point") is not None else None,
            "created_at": now,
            "finding_key": identity_key(f),
        }
        for f in findings
    ]
    if rows:
        conn.execute(insert(visit_finding), rows)


def write_treatments(conn: Connection, *, clinic_id: int, visit_id: int, revision: int, kinds: list[str]) -> None:
    if kinds:
        conn.execute(
            insert(visit_treatment),
            [{"clinic_id": clinic_id, "visit_id": visit_id, "revision": revision, "kind": k} for k in kinds],
        )


def previous_signed(
    conn: Connection, *, clinic_id: int, patient_id: int, before_visit_id: int
) -> dict[str, Any] | None:
    """The last signed (or amended) visit of the patient before this one, with its current revision."""
    row = conn.execute(
        select(visit.c.id, visit.c.revision, visit.c.visit_date)
        .where(
            and_(
                visit.c.clinic_id == clinic_id,
                visit.c.patient_id == patient_id,
                visit.c.id != before_visit_id,
                visit.c.status.in_(("signed", "amended")),
                visit.c.revision > 0,
            )
        )
        .order_by(visit.c.visit_date.desc(), visit.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    rev = at_revision(conn, row.id, row.revision)
    return {"visit_id": row.id, "visit_date": row.visit_date, **(rev or {})}
