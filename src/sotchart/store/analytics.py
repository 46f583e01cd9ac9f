"""Practice analytics as SQL over the signed visits: every query filters by clinic, period, clinician and
complaint, and reads the summary columns and signed findings (never the JSON records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select

from sotchart.domain.charting import NORMAL_VALUES
from sotchart.store.tables import episode, visit, visit_finding

SIGNED = ("signed", "amended")
NORMAL = NORMAL_VALUES


@dataclass(frozen=True)
class Filters:
    clinic_id: int
    start: date
    end: date
    clinician_id: int | None = None
    complaint: str = ""


def _visit_conds(f: Filters) -> list[Any]:
    conds = [
        visit.c.clinic_id == f.clinic_id,
        visit.c.status.in_(SIGNED),
        visit.c.visit_date >= f.start,
        visit.c.visit_date <= f.end,
    ]
    if f.clinician_id is not None:
        conds.append(visit.c.clinician_id == f.clinician_id)
    if f.complaint:
        conds.append(visit.c.complaint == f.complaint)
    return conds


def overview(conn: Connection, f: Filters) -> dict[str, Any]:
    row = conn.execute(
        select(
            func.count(),
            func.count(func.distinct(visit.c.patient_id)),
            func.sum(case((visit.c.safety_action.in_(("refer-before-treatment", "emergency-referral")), 1), else_=0)),
            func.sum(case((visit.c.safety_action == "emergency-referral", 1), else_=0)),
        ).where(and_(*_visit_conds(f)))
    ).one()
    return {
        "visits": int(row[0]),
        "patients": int(row[1]),
        "safety_stops": int(row[2] or 0),
        "emergencies": int(row[3] or 0),
    }


def clearing_by_indicator(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Positive before treatment, and how many were normal at the recheck of the same visit."""
    pre, post = visit_finding.alias("pre"), visit_finding.alias("post")
    cleared = case((post.c.value.in_(NORMAL), 1), else_=0)
    rows = conn.execute(
        select(
            pre.c.code,
            visit.c.category,
            func.count().label("positive"),
            func.count(post.c.id).label("rechecked"),
            func.sum(cleared).label("cleared"),
        )
        .select_from(
            pre.join(visit, and_(visit.c.id == pre.c.visit_id, visit.c.revision == pre.c.revision)).outerjoin(
                post,
                and_(
                    post.c.visit_id == pre.c.visit_id,
                    post.c.revision == pre.c.revision,
                    post.c.code == pre.c.code,
                    post.c.phase == "post",
                    func.coalesce(post.c.location, "") == func.coalesce(pre.c.location, ""),
                    func.coalesce(post.c.point, "") == func.coalesce(pre.c.point, ""),
                    func.coalesce(post.c.level, "") == func.coalesce(pre.c.level, ""),
                ),
            )
        )
        .where(and_(pre.c.phase == "pre", pre.c.value.not_in(NORMAL), *_visit_conds(f)))
        .group_by(pre.c.code, visit.c.category)
        .order_by(pre.c.code, visit.c.category)
    ).all()
    return [
        {
            "code": r.code,
            "category": r.category,
            "positive": int(r.positive),
            "rechecked": int(r.rechecked),
            "cleared": int(r.cleared or 0),
        }
        for r in rows
    ]


def category_transitions(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """From one visit's confirmed category to the patient's next visit's, counted."""
    previous = func.lag(visit.c.category).over(
        partition_by=visit.c.patient_id, order_by=(visit.c.visit_date, visit.c.id)
    )
    seq = (
        select(visit.c.category.label("to_cat"), previous.label("from_cat"))
        .where(and_(*_visit_conds(f), visit.c.category.is_not(None)))
        .subquery()
    )
    rows = conn.execute(
        select(seq.c.from_cat, seq.c.to_cat, func.count())
        .where(seq.c.from_cat.is_not(None))
        .group_by(seq.c.from_cat, seq.c.to_cat)
        .order_by(seq.c.from_cat, seq.c.to_cat)
    ).all()
    return [{"from": int(r[0]), "to": int(r[1]), "count": int(r[2])} for r in rows]


def pain_course(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per episode: first and last pain score, the visits between, the category seen most, and the
    visit number at which pain first fell by the NRS MCID (2 points or 30%)."""
    first_pain = func.first_value(visit.c.pain).over(
        partition_by=visit.c.episode_id, order_by=(visit.c.visit_date, visit.c.id)
    )
    number = func.row_number().over(partition_by=visit.c.episode_id, order_by=(visit.c.visit_date, visit.c.id))
    seq = (
        select(visit.c.episode_id, visit.c.pain, visit.c.category, first_pain.label("baseline"), number.label("n"))
        .where(and_(*_visit_conds(f), visit.c.pain.is_not(None), visit.c.episode_id.is_not(None)))
        .subquery()
    )
    met = and_(seq.c.baseline - seq.c.pain >= 2) | and_(
        seq.c.baseline > 0, (seq.c.baseline - seq.c.pain) * 10 >= seq.c.baseline * 3
    )
    rows = conn.execute(
        select(
            seq.c.episode_id,
            episode.c.complaint,
            func.max(seq.c.n).label("visits"),
            func.min(seq.c.baseline).label("baseline"),
            func.min(case((met, seq.c.n), else_=literal(None))).label("mcid_at"),
            func.sum(case((seq.c.category == 1, 1), else_=0)).label("n1"),
            func.sum(case((seq.c.category == 2, 1), else_=0)).label("n2"),
            func.sum(case((seq.c.category == 3, 1), else_=0)).label("n3"),
        )
        .join(episode, episode.c.id == seq.c.episode_id)
        .group_by(seq.c.episode_id, episode.c.complaint)
    ).all()
    out = []
    for r in rows:
        counts = {1: int(r.n1 or 0), 2: int(r.n2 or 0), 3: int(r.n3 or 0)}
        category = max(counts, key=lambda k: counts[k]) if any(counts.values()) else None
        out.append(
            {
                "episode_id": r.episode_id,
                "complaint": r.complaint,
                "visits": int(r.visits),
                "baseline": r.baseline,
                "mcid_at": r.mcid_at,
                "category": category,
            }
        )
    return out
