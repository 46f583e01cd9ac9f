"""What a FHIR export reads, streamed in batches so a practice of a million visits never sits in memory:
a clinic's patients, episodes, visits with their current record, and questionnaire responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Connection, and_, select

from sotchart.store.tables import episode, patient, questionnaire_response, visit, visit_revision, visit_treatment

BATCH = 2000


def _stream(conn: Connection, query: Any) -> Iterator[dict[str, Any]]:
    for row in conn.execution_options(yield_per=BATCH).execute(query):
        yield dict(row._mapping)


def _scope(table: Any, clinic_id: int, patient_id: int | None) -> Any:
    conds = [table.c.clinic_id == clinic_id]
    if patient_id is not None:
        conds.append((table.c.id if table is patient else table.c.patient_id) == patient_id)
    return and_(*conds)


def patients(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    return _stream(conn, select(patient).where(_scope(patient, clinic_id, patient_id)).order_by(patient.c.id))


def episodes(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    return _stream(conn, select(episode).where(_scope(episode, clinic_id, patient_id)).order_by(episode.c.id))


def visits(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Each visit with its current revision's document and assessment (None before the first save) and
    the kinds of care given at a signed revision."""
    kinds_query = (
        select(visit_treatment.c.visit_id, visit_treatment.c.kind)
        .join(visit, and_(visit.c.id == visit_treatment.c.visit_id, visit.c.revision == visit_treatment.c.revision))
        .where(_scope(visit, clinic_id, patient_id))
        .order_by(visit_treatment.c.visit_id)
    )
    kinds = _stream(conn, kinds_query)  # a second cursor, read in step with the visits
    pending = next(kinds, None)
    rows = _stream(
        conn,
        select(visit, visit_revision.c.document, visit_revision.c.assessment)
        .outerjoin(
            visit_revision, and_(visit_revision.c.visit_id == visit.c.id, visit_revision.c.revision == visit.c.revision)
        )
        .where(_scope(visit, clinic_id, patient_id))
        .order_by(visit.c.id),
    )
    for v in rows:
        v["document"] = orjson.loads(v["document"]) if v["document"] else {}
        v["assessment"] = orjson.loads(v["assessment"]) if v["assessment"] else {}
        v["treatments"] = []
        while pending is not None and pending["visit_id"] <= v["id"]:
            if pending["visit_id"] == v["id"]:
                v["treatments"].append(pending["kind"])
            pending = next(kinds, None)
        yield v


def questionnaires(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    qr = questionnaire_response
    for r in _stream(conn, select(qr).where(_scope(qr, clinic_id, patient_id)).order_by(qr.c.id)):
        r["answers"] = orjson.loads(r["answers"])
        r["activities"] = orjson.loads(r["activities"])
        yield r
