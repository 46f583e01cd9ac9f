"""Practice analytics counted from the signed visits, for any span of days, and kept per clinic and calendar
month in `outcome_month` so a dashboard over a million visits sums thousands of rows instead of scanning
millions. A month is rebuilt whole when anything in it changed (a signing inserts an `outcome_month_change`
row); the counts are derived data, so a month's rows are replaced, never amended.

Every count is a row (clinician, complaint, measure, key1, key2, n):
  visits / stops / emergencies   key1 = category ('' when none was confirmed)
  patient / referred             key1 = patient id (counted distinct when read)
  positive / rechecked / cleared key1 = indicator code, key2 = category
  care                           key1 = procedure code, key2 = visits | positive | rechecked | cleared
  transition                     key1 = previous visit's category, key2 = this visit's
  episodes / responders          key1 = the episode's most seen category (episodes by their start date)
  mcid-at                        key1 = the visit number at which pain first improved by the MCID
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, literal, or_, select, update

from sotchart.domain.business import month_after
from sotchart.domain.charting import BLOCKING_ACTIONS
from sotchart.domain.findings import NORMAL_VALUES
from sotchart.store.tables import (
    episode,
    outcome_month,
    outcome_month_change,
    outcome_month_state,
    visit,
    visit_finding,
    visit_treatment,
)
from sotchart.store.types import dialect_insert

SIGNED = ("signed", "amended")
Row = tuple[int, str, str, str, str, int]  # clinician, complaint, measure, key1, key2, n


@dataclass(frozen=True)
class Scope:
    """Which signed visits to count: a clinic, a span of days, and optionally one clinician or complaint."""

    clinic_id: int
    start: date
    end: date
    clinician_id: int | None = None
    complaints: tuple[str, ...] = ()  # the complaints as typed to count; () for all


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_span(month: str) -> tuple[date, date]:
    first = date(int(month[:4]), int(month[5:7]), 1)
    return first, month_after(first) - timedelta(days=1)


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def visit_conds(s: Scope) -> list[Any]:
    conds = [
        visit.c.clinic_id == s.clinic_id,
        visit.c.status.in_(SIGNED),
        visit.c.visit_date >= s.start,
        visit.c.visit_date <= s.end,
    ]
    if s.clinician_id is not None:
        conds.append(visit.c.clinician_id == s.clinician_id)
    if s.complaints:
        conds.append(visit.c.complaint.in_(s.complaints))
    return conds


_CLINICIAN = func.coalesce(visit.c.clinician_id, 0)
_STOP = case((visit.c.safety_action.in_(BLOCKING_ACTIONS), 1), else_=0)


def visit_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    rows = conn.execute(
        select(
            _CLINICIAN,
            visit.c.complaint,
            visit.c.category,
            func.count(),
            func.sum(_STOP),
            func.sum(case((visit.c.safety_action == "emergency-referral", 1), else_=0)),
        )
        .where(and_(*visit_conds(s)))
        .group_by(_CLINICIAN, visit.c.complaint, visit.c.category)
    )
    for clinician, complaint, category, n, stops, emergencies in rows:
        cat = _key(category)
        yield clinician, complaint, "visits", cat, "", int(n)
        if stops:
            yield clinician, complaint, "stops", cat, "", int(stops)
        if emergencies:
            yield clinician, complaint, "emergencies", cat, "", int(emergencies)


def patient_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    rows = conn.execute(
        select(_CLINICIAN, visit.c.complaint, visit.c.patient_id, func.count(), func.sum(_STOP))
        .where(and_(*visit_conds(s)))
        .group_by(_CLINICIAN, visit.c.complaint, visit.c.patient_id)
    )
    for clinician, complaint, patient_id, n, stops in rows:
        yield clinician, complaint, "patient", str(patient_id), "", int(n)
        if stops:
            yield clinician, complaint, "referred", str(patient_id), "", int(stops)


def clearing_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    """Positive before treatment, and how many were normal at the recheck of the same visit."""
    pre, post = visit_finding.alias("pre"), visit_finding.alias("post")
    rows = conn.execute(
        select(
            _CLINICIAN,
            visit.c.complaint,
            pre.c.code,
            visit.c.category,
            func.count(),
            func.count(post.c.id),
            func.sum(case((post.c.value.in_(NORMAL_VALUES), 1), else_=0)),
        )
        .select_from(
            pre.join(visit, and_(visit.c.id == pre.c.visit_id, visit.c.revision == pre.c.revision)).outerjoin(
                post,
                and_(
                    post.c.visit_id == pre.c.visit_id,
                    post.c.revision == pre.c.revision,
                    post.c.phase == "post",
                    post.c.finding_key == pre.c.finding_key,
                ),
            )
        )
        .where(and_(pre.c.phase == "pre", pre.c.value.not_in(NORMAL_VALUES), *visit_conds(s)))
        .group_by(_CLINICIAN, visit.c.complaint, pre.c.code, visit.c.category)
    )
    for clinician, complaint, code, category, positive, rechecked, cleared in rows:
        cat = _key(category)
        yield clinician, complaint, "positive", code, cat, int(positive)
        yield clinician, complaint, "rechecked", code, cat, int(rechecked)
        yield clinician, complaint, "cleared", code, cat, int(cleared or 0)


def care_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    """Indicators cleared at the recheck, by the kind of care given at the visit."""
    rows = conn.execute(
        select(
            _CLINICIAN,
            visit.c.complaint,
            visit_treatment.c.kind,
            func.count(),
            func.sum(func.coalesce(visit.c.indicators_pre, 0)),
            func.sum(func.coalesce(visit.c.indicators_rechecked, 0)),
            func.sum(func.coalesce(visit.c.indicators_cleared, 0)),
        )
        .select_from(
            visit_treatment.join(
                visit, and_(visit.c.id == visit_treatment.c.visit_id, visit.c.revision == visit_treatment.c.revision)
            )
        )
        .where(and_(*visit_conds(s)))
        .group_by(_CLINICIAN, visit.c.complaint, visit_treatment.c.kind)
    )
    for clinician, complaint, kind, n, positive, rechecked, cleared in rows:
        for key2, value in (("visits", n), ("positive", positive), ("rechecked", rechecked), ("cleared", cleared)):
            yield clinician, complaint, "care", kind, key2, int(value or 0)


def transition_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    """From the patient's previous signed visit with a confirmed category to this one's."""
    before = visit.alias("before")
    previous = (
        select(before.c.category)
        .where(
            and_(
                before.c.patient_id == visit.c.patient_id,
                before.c.status.in_(SIGNED),
                before.c.category.is_not(None),
                or_(
                    before.c.visit_date < visit.c.visit_date,
                    and_(before.c.visit_date == visit.c.visit_date, before.c.id < visit.c.id),
                ),
            )
        )
        .order_by(before.c.visit_date.desc(), before.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    seq = (
        select(
            _CLINICIAN.label("clinician"),
            visit.c.complaint,
            visit.c.category.label("to_cat"),
            previous.label("from_cat"),
        )
        .where(and_(*visit_conds(s), visit.c.category.is_not(None)))
        .subquery()
    )
    rows = conn.execute(
        select(seq.c.clinician, seq.c.complaint, seq.c.from_cat, seq.c.to_cat, func.count())
        .where(seq.c.from_cat.is_not(None))
        .group_by(seq.c.clinician, seq.c.complaint, seq.c.from_cat, seq.c.to_cat)
    )
    for clinician, complaint, from_cat, to_cat, n in rows:
        yield clinician, complaint, "transition", str(from_cat), str(to_cat), int(n)


def episode_counts(conn: Connection, s: Scope) -> Iterator[Row]:
    """Episodes that started in the span, followed over all their signed visits with a pain score: whether
    pain fell by the NRS MCID (2 points or 30%) and at which visit. The clinician is the first visit's."""
    order = (visit.c.visit_date, visit.c.id)
    by_episode: dict[str, Any] = {"partition_by": visit.c.episode_id, "order_by": order}
    conds = [
        episode.c.clinic_id == s.clinic_id,
        episode.c.start_date >= s.start,
        episode.c.start_date <= s.end,
        visit.c.status.in_(SIGNED),
        visit.c.pain.is_not(None),
    ]
    if s.complaints:
        conds.append(episode.c.complaint.in_(s.complaints))
    seq = (
        select(
            visit.c.episode_id,
            episode.c.complaint,
            visit.c.pain,
            visit.c.category,
            func.first_value(visit.c.pain).over(**by_episode).label("baseline"),
            func.first_value(_CLINICIAN).over(**by_episode).label("clinician"),
            func.row_number().over(**by_episode).label("n"),
        )
        .select_from(episode.join(visit, visit.c.episode_id == episode.c.id))
        .where(and_(*conds))
        .subquery()
    )
    met = (seq.c.baseline - seq.c.pain >= 2) | and_(
        seq.c.baseline > 0, (seq.c.baseline - seq.c.pain) * 10 >= seq.c.baseline * 3
    )
    rows = conn.execute(
        select(
            func.min(seq.c.clinician),
            seq.c.complaint,
            func.max(seq.c.n),
            func.min(case((met, seq.c.n), else_=literal(None))),
            func.sum(case((seq.c.category == 1, 1), else_=0)),
            func.sum(case((seq.c.category == 2, 1), else_=0)),
            func.sum(case((seq.c.category == 3, 1), else_=0)),
        ).group_by(seq.c.episode_id, seq.c.complaint)
    )
    counts: dict[tuple[int, str, str, str, str], int] = {}
    for clinician, complaint, visits, mcid_at, n1, n2, n3 in rows:
        if int(visits) < 2 or (s.clinician_id is not None and clinician != s.clinician_id):
            continue  # one visit is not a course of care
        seen = {1: int(n1 or 0), 2: int(n2 or 0), 3: int(n3 or 0)}
        cat = _key(max(seen, key=lambda k: seen[k]) if any(seen.values()) else None)
        keys = [("episodes", cat, "")]
        if mcid_at:
            keys += [("responders", cat, ""), ("mcid-at", str(mcid_at), "")]
        for measure, key1, key2 in keys:
            k = (clinician, complaint, measure, key1, key2)
            counts[k] = counts.get(k, 0) + 1
    for (clinician, complaint, measure, key1, key2), n in counts.items():
        yield clinician, complaint, measure, key1, key2, n


FAMILIES = {
    "visits": visit_counts,
    "patients": patient_counts,
    "clearing": clearing_counts,
    "care": care_counts,
    "transitions": transition_counts,
    "episodes": episode_counts,
}


def counts(conn: Connection, s: Scope, families: Iterable[str] = FAMILIES) -> Iterator[Row]:
    for name in families:
        yield from FAMILIES[name](conn, s)


# --- keeping the months current -------------------------------------------------------------------


_VISIT_MONTHS = (
    select(visit.c.patient_id, visit.c.visit_date, visit.c.id, episode.c.start_date)
    .select_from(visit.outerjoin(episode, episode.c.id == visit.c.episode_id))
    .where(visit.c.id == bindparam("visit_id"))
)
_FOLLOWING = (
    select(visit.c.visit_date)
    .where(
        and_(
            visit.c.patient_id == bindparam("patient_id"),
            visit.c.status.in_(SIGNED),
            visit.c.category.is_not(None),
            or_(
                visit.c.visit_date > bindparam("visit_date"),
                and_(visit.c.visit_date == bindparam("visit_date"), visit.c.id > bindparam("visit_id")),
            ),
        )
    )
    .order_by(visit.c.visit_date, visit.c.id)
    .limit(1)
)


def months_touched(conn: Connection, visit_id: int) -> set[str]:
    """The months whose counts a change to this visit moves: its own, its episode's start (episodes are
    counted by start), and the patient's next categorized visit (its transition starts from this one)."""
    v = conn.execute(_VISIT_MONTHS, {"visit_id": visit_id}).one()
    months = {month_of(v.visit_date)}
    if v.start_date is not None:
        months.add(month_of(v.start_date))
    following = conn.execute(
        _FOLLOWING, {"patient_id": v.patient_id, "visit_date": v.visit_date, "visit_id": v.id}
    ).scalar()
    if following is not None:
        months.add(month_of(following))
    return months


def mark_changed(conn: Connection, clinic_id: int, months: Iterable[str]) -> None:
    rows = [{"clinic_id": clinic_id, "month": m} for m in sorted(set(months))]
    if rows:
        conn.execute(insert(outcome_month_change), rows)


def stale_months(conn: Connection, clinic_id: int, months: list[str]) -> list[str]:
    """Of these months, the ones never counted or changed since they were."""
    if not months:
        return []
    built = set(
        conn.execute(
            select(outcome_month_state.c.month).where(
                and_(
                    outcome_month_state.c.clinic_id == clinic_id,
                    outcome_month_state.c.month.in_(months),
                    outcome_month_state.c.built_at.is_not(None),
                )
            )
        ).scalars()
    )
    changed = set(
        conn.execute(
            select(outcome_month_change.c.month)
            .where(and_(outcome_month_change.c.clinic_id == clinic_id, outcome_month_change.c.month.in_(months)))
            .distinct()
        ).scalars()
    )
    return [m for m in months if m not in built or m in changed]


def rebuild(conn: Connection, clinic_id: int, month: str, now: datetime) -> int:
    """Count the month again from the signed visits and replace its rows; returns the rows written."""
    conn.execute(
        dialect_insert(conn)(outcome_month_state)
        .values(clinic_id=clinic_id, month=month, built_at=None)
        .on_conflict_do_nothing(index_elements=["clinic_id", "month"])
    )
    # The row lock (PostgreSQL) makes concurrent rebuilds of one month take turns; SQLite's write lock
    # already does. The changes are read before counting, so each of them is in the count; a signing not
    # yet committed is not among them and leaves the month stale, to be counted by the next rebuild.
    conn.execute(
        select(outcome_month_state.c.month)
        .where(and_(outcome_month_state.c.clinic_id == clinic_id, outcome_month_state.c.month == month))
        .with_for_update()
    )
    seen = list(
        conn.execute(
            select(outcome_month_change.c.id).where(
                and_(outcome_month_change.c.clinic_id == clinic_id, outcome_month_change.c.month == month)
            )
        ).scalars()
    )
    conn.execute(
        delete(outcome_month).where(and_(outcome_month.c.clinic_id == clinic_id, outcome_month.c.month == month))
    )
    first, last = month_span(month)
    rows = [
        {
            "clinic_id": clinic_id,
            "month": month,
            "clinician_id": clinician,
            "complaint": complaint,
            "measure": measure,
            "key1": key1[:60],
            "key2": key2[:60],
            "n": n,
        }
        for clinician, complaint, measure, key1, key2, n in counts(conn, Scope(clinic_id, first, last))
    ]
    if rows:
        conn.execute(insert(outcome_month), rows)
    if seen:
        conn.execute(delete(outcome_month_change).where(outcome_month_change.c.id.in_(seen)))
    conn.execute(
        update(outcome_month_state)
        .where(and_(outcome_month_state.c.clinic_id == clinic_id, outcome_month_state.c.month == month))
        .values(built_at=now)
    )
    return len(rows)
