"""The records a research export reads, streamed in batches: signed visits only, never free text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, and_, func, select

from sotchart.store.export import stream as _stream
from sotchart.store.tables import (
    episode,
    patient,
    questionnaire_response,
    visit,
    visit_finding,
    visit_revision,
    visit_treatment,
)

SIGNED = ("signed", "amended")


def _signed(clinic_id: int) -> Any:
    return and_(visit.c.clinic_id == clinic_id, visit.c.status.in_(SIGNED))


def patients(conn: Connection, clinic_id: int) -> list[dict[str, Any]]:
    """Patients with at least one signed visit, with their first visit's date."""
    first = (
        select(visit.c.patient_id, func.min(visit.c.visit_date).label("first_visit"))
        .where(_signed(clinic_id))
        .group_by(visit.c.patient_id)
        .subquery()
    )
    rows = conn.execute(
        select(patient.c.id, patient.c.birth_date, patient.c.sex, first.c.first_visit)
        .join(first, first.c.patient_id == patient.c.id)
        .order_by(patient.c.id)
    )
    return [dict(r._mapping) for r in rows]


def episodes(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    return _stream(
        conn,
        select(episode.c.id, episode.c.patient_id, episode.c.complaint, episode.c.start_date)
        .where(episode.c.clinic_id == clinic_id)
        .order_by(episode.c.id),
    )


def complaints(conn: Connection, clinic_id: int) -> list[str]:
    return [r[0] for r in conn.execute(select(episode.c.complaint).where(episode.c.clinic_id == clinic_id))]


def visits(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    return _stream(
        conn,
        select(
            visit.c.id,
            visit.c.patient_id,
            visit.c.episode_id,
            visit.c.visit_date,
            visit.c.kind,
            visit.c.status,
            visit.c.clinician_id,
            visit.c.category,
            visit.c.category_side,
            visit.c.pain,
            visit.c.safety_action,
            visit.c.indicators_pre,
            visit.c.indicators_post,
            visit.c.indicators_rechecked,
            visit.c.indicators_cleared,
        )
        .where(_signed(clinic_id))
        .order_by(visit.c.id),
    )


def _of_signed_revisions(conn: Connection, clinic_id: int, table: Any, *columns: Any) -> Iterator[dict[str, Any]]:
    """Rows of a per-revision table that belong to each signed visit's current revision, visit by visit."""
    return _stream(
        conn,
        select(*columns)
        .join(visit, and_(visit.c.id == table.c.visit_id, visit.c.revision == table.c.revision))
        .where(_signed(clinic_id))
        .order_by(table.c.visit_id, table.c.id),
    )


def findings(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    return _of_signed_revisions(conn, clinic_id, visit_finding, visit_finding)


def treatments(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    return _of_signed_revisions(conn, clinic_id, visit_treatment, visit_treatment.c.visit_id, visit_treatment.c.kind)


def signed_records(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    """Each signed visit's current document and assessment (JSON text), for its diagnosis codes."""
    r = visit_revision
    return _of_signed_revisions(conn, clinic_id, r, r.c.visit_id, r.c.document, r.c.assessment)


def questionnaires(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    qr = questionnaire_response
    return _stream(
        conn,
        select(
            qr.c.patient_id,
            qr.c.instrument,
            qr.c.instrument_version,
            qr.c.scoring_version,
            qr.c.answered_on,
            qr.c.score,
            qr.c.percent,
            qr.c.band,
        )
        .where(and_(qr.c.clinic_id == clinic_id, qr.c.status == "completed"))
        .order_by(qr.c.id),
    )
