"""What a FHIR export reads, streamed in batches so a practice of a million visits never sits in memory:
a clinic's patients, episodes, visits with their current record, and questionnaire responses."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import orjson
from sqlalchemy import Connection, and_, select

from sotchart.store.tables import (
    episode,
    metadata,
    patient,
    questionnaire_response,
    visit,
    visit_revision,
    visit_treatment,
)

BATCH = 2000


def stream(conn: Connection, query: Any) -> Generator[dict[str, Any], None, None]:
    # Closed when the reader stops early too: PostgreSQL's server-side cursor must not outlive the read.
    result = conn.execution_options(yield_per=BATCH).execute(query)
    try:
        for row in result:
            yield dict(row._mapping)
    finally:
        result.close()


def _scope(table: Any, clinic_id: int, patient_id: int | None) -> Any:
    conds = [table.c.clinic_id == clinic_id]
    if patient_id is not None:
        conds.append((table.c.id if table is patient else table.c.patient_id) == patient_id)
    return and_(*conds)


def patients(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    return stream(conn, select(patient).where(_scope(patient, clinic_id, patient_id)).order_by(patient.c.id))


def episodes(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    return stream(conn, select(episode).where(_scope(episode, clinic_id, patient_id)).order_by(episode.c.id))


def visits(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Each visit with its current revision's document and assessment (empty before the first save) and
    the kinds of care given at a signed revision."""
    return _with_records(conn, _scope(visit, clinic_id, patient_id))


def _with_records(conn: Connection, where: Any) -> Generator[dict[str, Any], None, None]:
    kinds_query = (
        select(visit_treatment.c.visit_id, visit_treatment.c.kind)
        .join(visit, and_(visit.c.id == visit_treatment.c.visit_id, visit.c.revision == visit_treatment.c.revision))
        .where(where)
        .order_by(visit_treatment.c.visit_id)
    )
    kinds = stream(conn, kinds_query)  # a second cursor, read in step with the visits
    pending = next(kinds, None)
    rows = stream(
        conn,
        select(visit, visit_revision.c.document, visit_revision.c.assessment)
        .outerjoin(
            visit_revision, and_(visit_revision.c.visit_id == visit.c.id, visit_revision.c.revision == visit.c.revision)
        )
        .where(where)
        .order_by(visit.c.id),
    )
    try:
        for v in rows:
            v["document"] = orjson.loads(v["document"]) if v["document"] else {}
            v["assessment"] = orjson.loads(v["assessment"]) if v["assessment"] else {}
            v["treatments"] = []
            while pending is not None and pending["visit_id"] <= v["id"]:
                if pending["visit_id"] == v["id"]:
                    v["treatments"].append(pending["kind"])
                pending = next(kinds, None)
            yield v
    finally:
        rows.close()
        kinds.close()


def questionnaires(conn: Connection, clinic_id: int, patient_id: int | None = None) -> Iterator[dict[str, Any]]:
    qr = questionnaire_response
    for r in stream(conn, select(qr).where(_scope(qr, clinic_id, patient_id)).order_by(qr.c.id)):
        r["answers"] = orjson.loads(r["answers"])
        r["activities"] = orjson.loads(r["activities"])
        yield r


def visit_with_record(conn: Connection, clinic_id: int, visit_id: int) -> dict[str, Any] | None:
    """One visit as `visits` yields it, for reading one visit's resources."""
    rows = _with_records(conn, and_(visit.c.clinic_id == clinic_id, visit.c.id == visit_id))
    try:
        return next(rows, None)
    finally:
        rows.close()


def questionnaire(conn: Connection, clinic_id: int, response_id: int) -> dict[str, Any] | None:
    qr = questionnaire_response
    row = conn.execute(select(qr).where(and_(qr.c.clinic_id == clinic_id, qr.c.id == response_id))).first()
    if row is None:
        return None
    r = dict(row._mapping)
    r["answers"], r["activities"] = orjson.loads(r["answers"]), orjson.loads(r["activities"])
    return r


# The clinic's tables as exported to CSV, each with how its rows are tied to a clinic and a patient.
CSV_TABLES = (
    "patient",
    "patient_alert",
    "episode",
    "visit",
    "visit_revision",
    "visit_finding",
    "visit_treatment",
    "questionnaire_response",
    "examination",
)


def table_rows(
    conn: Connection, name: str, clinic_id: int, patient_id: int | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """A table's column names and its rows for the clinic (or one patient), streamed, oldest first."""
    table = metadata.tables[name]
    query = select(table)
    if "clinic_id" in table.c:
        query = query.where(table.c.clinic_id == clinic_id)
        if patient_id is not None and name == "patient":
            query = query.where(table.c.id == patient_id)
        elif patient_id is not None and "patient_id" in table.c:
            query = query.where(table.c.patient_id == patient_id)
        elif patient_id is not None:  # visit_treatment: by its visit
            query = query.join(visit, visit.c.id == table.c.visit_id).where(visit.c.patient_id == patient_id)
    elif "visit_id" in table.c:  # visit_revision: by its visit
        query = query.join(visit, visit.c.id == table.c.visit_id).where(visit.c.clinic_id == clinic_id)
        if patient_id is not None:
            query = query.where(visit.c.patient_id == patient_id)
    else:  # patient_alert: by its patient
        query = query.join(patient, patient.c.id == table.c.patient_id).where(patient.c.clinic_id == clinic_id)
        if patient_id is not None:
            query = query.where(patient.c.id == patient_id)
    pk = list(table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH).execute(query.order_by(*pk))

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            for row in result:
                yield tuple(row)
        finally:
            result.close()

    return [c.name for c in table.columns], rows()
