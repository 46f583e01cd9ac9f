"""Practice analytics as read by the dashboard: the counted months (`outcome_month`) for every whole
month of the period that is counted and current, and the signed visits themselves for the rest (the
partial months at either end, the current month, and any month changed since it was counted)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, String, and_, cast, func, select, union

from sotchart.domain.charting import BLOCKING_ACTIONS
from sotchart.store import rollups
from sotchart.store.rollups import Scope, month_of, month_span
from sotchart.store.tables import episode, outcome_month, visit

Counts = dict[tuple[str, str, str, str], int]  # (complaint, measure, key1, key2) → n


@dataclass(frozen=True)
class Filters:
    clinic_id: int
    start: date
    end: date
    clinician_id: int | None = None
    complaints: tuple[str, ...] = ()  # the complaints as typed to count; () for all


@dataclass(frozen=True)
class Plan:
    """Which months come from the counts, and which spans of days are counted from the visits."""

    months: list[str]
    spans: list[tuple[date, date]]


def whole_months(start: date, end: date, today: date) -> list[str]:
    """The calendar months inside the period that have ended: the ones worth keeping counted."""
    out = []
    current = month_of(today)
    m = month_of(start)
    while True:
        first, last = month_span(m)
        if first > end:
            break
        if first >= start and last <= end and m < current:
            out.append(m)
        m = month_of(last + timedelta(days=1))
    return out


def plan(f: Filters, today: date, stale: Iterable[str] = ()) -> Plan:
    stale_set = set(stale)
    months = [m for m in whole_months(f.start, f.end, today) if m not in stale_set]
    spans: list[tuple[date, date]] = []
    day = f.start
    for m in months:
        first, last = month_span(m)
        if day < first:
            spans.append((day, first - timedelta(days=1)))
        day = last + timedelta(days=1)
    if day <= f.end:
        spans.append((day, f.end))
    return Plan(months, spans)


def _month_conds(f: Filters, months: list[str], measures: tuple[str, ...]) -> list[Any]:
    conds = [
        outcome_month.c.clinic_id == f.clinic_id,
        outcome_month.c.measure.in_(measures),
        outcome_month.c.month.in_(months),
    ]
    if f.clinician_id is not None:
        conds.append(outcome_month.c.clinician_id == f.clinician_id)
    if f.complaints:
        conds.append(outcome_month.c.complaint.in_(f.complaints))
    return conds


def _scope(f: Filters, span: tuple[date, date]) -> Scope:
    return Scope(f.clinic_id, span[0], span[1], f.clinician_id, f.complaints)


def read(conn: Connection, f: Filters, p: Plan, family: str, measures: tuple[str, ...]) -> Counts:
    """One family of counts over the period, summed over clinicians."""
    out: Counts = {}
    if p.months:
        rows = conn.execute(
            select(
                outcome_month.c.complaint,
                outcome_month.c.measure,
                outcome_month.c.key1,
                outcome_month.c.key2,
                func.sum(outcome_month.c.n),
            )
            .where(and_(*_month_conds(f, p.months, measures)))
            .group_by(outcome_month.c.complaint, outcome_month.c.measure, outcome_month.c.key1, outcome_month.c.key2)
        )
        for complaint, measure, key1, key2, n in rows:
            out[(complaint, measure, key1, key2)] = int(n)
    for span in p.spans:
        for _clinician, complaint, measure, key1, key2, n in rollups.FAMILIES[family](conn, _scope(f, span)):
            k = (complaint, measure, key1, key2)
            out[k] = out.get(k, 0) + n
    return out


def distinct_patients(conn: Connection, f: Filters, p: Plan, measure: str) -> int:
    """Patients seen (or referred by the safety gate) in the period, each counted once across months."""
    parts = []
    if p.months:
        parts.append(select(outcome_month.c.key1.label("pid")).where(and_(*_month_conds(f, p.months, (measure,)))))
    for span in p.spans:
        conds = rollups.visit_conds(_scope(f, span))
        if measure == "referred":
            conds.append(visit.c.safety_action.in_(BLOCKING_ACTIONS))
        parts.append(select(cast(visit.c.patient_id, String(20)).label("pid")).where(and_(*conds)))
    if not parts:
        return 0
    every = union(*parts).subquery() if len(parts) > 1 else parts[0].distinct().subquery()
    return int(conn.execute(select(func.count()).select_from(every)).scalar_one())


def stale_months(conn: Connection, f: Filters, today: date) -> list[str]:
    return rollups.stale_months(conn, f.clinic_id, whole_months(f.start, f.end, today))


def complaints(conn: Connection, clinic_id: int) -> list[str]:
    """The complaints the clinic's episodes were opened for, for the filter."""
    rows = conn.execute(
        select(episode.c.complaint).where(episode.c.clinic_id == clinic_id).distinct().order_by(episode.c.complaint)
    )
    return [r[0] for r in rows]
