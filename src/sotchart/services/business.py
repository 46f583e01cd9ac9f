"""The practice's business figures beside the clinical ones: visits per day and week, new patients, the
patient visit average, care plans completed, patients kept, no-shows and cancellations. Read in the
analytics page's own transaction, under its filters; counts only, no patient named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sotchart.domain import business as rules
from sotchart.services.care_plans import cadence_of
from sotchart.services.context import Unit
from sotchart.store import business as store
from sotchart.store import care_plans as plan_store
from sotchart.store.analytics import Filters

REASONS_SHOWN = 5


@dataclass
class Figures:
    visits: int
    days_open: int
    per_open_day: float | None
    busiest: tuple[date, int] | None
    patients_seen: int
    new_patients: int
    new_returned: int
    visit_average: float | None
    retention: dict[str, Any]
    plans: dict[str, Any]
    appointments: dict[str, Any]
    spans: list[dict[str, Any]]
    weekly: bool
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.visits or self.appointments["total"] or self.plans["begun"])


def figures(u: Unit, f: Filters, *, with_reasons: bool) -> Figures:
    """`with_reasons`: the cancellation reasons as the desk typed them (a reason can name someone, so a
    researcher sees only the counts)."""
    by_day = store.visits_by_day(u.conn, f)
    visits = sum(by_day.values())
    firsts = store.first_visits(u.conn, f)
    rows = rules.spans(f.start, f.end)
    edges = [u.day_bounds(s.first)[0] for s in rows] + [u.day_bounds(f.end)[1]]
    booked = store.appointments_by_bucket(u.conn, f, edges)
    table = []
    for i, s in enumerate(rows):
        days = [n for d, n in by_day.items() if s.first <= d <= s.last]
        statuses = {st: n for (b, st), n in booked.items() if b == i}
        table.append(
            {
                "label": s.label,
                "first": s.first,
                "visits": sum(days),
                "days_open": len(days),
                "per_open_day": rules.ratio(sum(days), len(days)),
                "new_patients": sum(1 for d, _ in firsts if s.first <= d <= s.last),
                **_appointments(statuses),
            }
        )
    busiest = max(by_day.items(), key=lambda kv: (kv[1], kv[0])) if by_day else None
    before = rules.span_before(f.start, f.end)
    seen_before, again = store.seen_again(u.conn, f, before)
    returned = sum(1 for _, n in firsts if n >= 2)
    return Figures(
        visits=visits,
        days_open=len(by_day),
        per_open_day=rules.ratio(visits, len(by_day)),
        busiest=busiest,
        patients_seen=store.patients_seen(u.conn, f),
        new_patients=len(firsts),
        new_returned=returned,
        visit_average=rules.patient_visit_average(visits, len(firsts)),
        retention={
            "from": before[0],
            "to": before[1],
            "seen_before": seen_before,
            "seen_again": again,
            "pct": rules.rate(again, seen_before),
            "new_returned_pct": rules.rate(returned, len(firsts)),
        },
        plans=_plans(u, f),
        appointments=_appointments(_by_status(booked)),
        spans=table,
        weekly=rules.by_week(f.start, f.end),
        reasons=(store.cancellation_reasons(u.conn, f, edges[0], edges[-1], REASONS_SHOWN) if with_reasons else []),
    )


def _by_status(booked: dict[tuple[int, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_span, status), n in booked.items():
        out[status] = out.get(status, 0) + n
    return out


def _appointments(statuses: dict[str, int]) -> dict[str, Any]:
    came = sum(n for s, n in statuses.items() if s in rules.CAME)
    cancelled, no_shows = statuses.get("cancelled", 0), statuses.get("no-show", 0)
    total = sum(statuses.values())
    return {
        "total": total,
        "came": came,
        "cancelled": cancelled,
        "no_shows": no_shows,
        "still_booked": statuses.get("booked", 0),
        "cancelled_pct": rules.rate(cancelled, total),
        # Of the appointments whose patient either came or did not: the ones still ahead say nothing yet.
        "no_show_pct": rules.rate(no_shows, no_shows + came),
    }


def _plans(u: Unit, f: Filters) -> dict[str, Any]:
    begun = store.plans_begun(u.conn, f)
    done = plan_store.visits_done(u.conn, begun, u.today())
    completed = ended_early = under_way = 0
    for p in begun:
        if done[p["id"]] >= cadence_of(p).visits:
            completed += 1
        elif p["status"] == "ended":
            ended_early += 1
        else:
            under_way += 1
    return {
        "begun": len(begun),
        "completed": completed,
        "ended_early": ended_early,
        "under_way": under_way,
        "completion_pct": rules.rate(completed, completed + ended_early),
    }
