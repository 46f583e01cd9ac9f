"""Practice analytics: is the care working, across the practice? Aggregates only, no patient named."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import analytics as store
from sotchart.store import users as user_store


@dataclass
class Dashboard:
    filters: dict[str, Any]
    overview: dict[str, Any]
    clearing: list[dict[str, Any]]
    clearing_by_category: list[dict[str, Any]]
    transitions: list[dict[str, Any]]
    responders_by_category: list[dict[str, Any]]
    responders_by_complaint: list[dict[str, Any]]
    visits_to_mcid: dict[str, Any]
    clinicians: list[dict[str, Any]]
    complaints: list[str]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _period(start: str, end: str, today: date) -> tuple[date, date]:
    try:
        s = date.fromisoformat(start) if start else today - timedelta(days=365)
        e = date.fromisoformat(end) if end else today
    except ValueError as err:
        raise InvalidInput("The period could not be read.", [FieldProblem("start", "Use YYYY-MM-DD dates.")]) from err
    if s > e:
        raise InvalidInput(
            "The period starts after it ends.", [FieldProblem("start", "Choose a start before the end.")]
        )
    return s, e


def dashboard(
    app: App, actor: Actor, *, start: str = "", end: str = "", clinician_id: int | None = None, complaint: str = ""
) -> Dashboard:
    with unit(app, actor, Action.ANALYTICS_READ, "analytics", read=True) as u:
        s, e = _period(start, end, u.now.date())
        f = store.Filters(u.clinic_id(), s, e, clinician_id, complaint.strip()[:200])
        overview = store.overview(u.conn, f)
        clearing_rows = store.clearing_by_indicator(u.conn, f)
        transitions = store.category_transitions(u.conn, f)
        courses = store.pain_course(u.conn, f)
        clinicians = [
            {"id": r["id"], "name": r["display_name"]}
            for r in user_store.list_for_clinic(u.conn, u.clinic_id())
            if r["role"] in ("owner", "clinician")
        ]
        complaints = sorted({c["complaint"] for c in courses})
        u.audit("analytics.read", "clinic", u.clinic_id(), detail=f"{s}..{e}")
    by_code: dict[str, dict[str, int]] = {}
    by_cat: dict[Any, dict[str, int]] = {}
    for r in clearing_rows:
        for key, table in ((r["code"], by_code), (r["category"], by_cat)):
            t = table.setdefault(key, {"positive": 0, "rechecked": 0, "cleared": 0})
            for k in t:
                t[k] += r[k]
    clearing = [
        {"code": k, **v, "cleared_pct": _rate(v["cleared"], v["rechecked"])} for k, v in sorted(by_code.items())
    ]
    clearing_cat = [
        {"category": k, **v, "cleared_pct": _rate(v["cleared"], v["rechecked"])}
        for k, v in sorted(by_cat.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    followed = [c for c in courses if c["visits"] >= 2]

    def responders(key: str) -> list[dict[str, Any]]:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for c in followed:
            groups.setdefault(c[key], []).append(c)
        return [
            {
                key: k,
                "episodes": len(v),
                "responders": sum(1 for c in v if c["mcid_at"]),
                "rate_pct": _rate(sum(1 for c in v if c["mcid_at"]), len(v)),
            }
            for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))
        ]

    reached = [c["mcid_at"] for c in followed if c["mcid_at"]]
    return Dashboard(
        filters={"start": s.isoformat(), "end": e.isoformat(), "clinician_id": clinician_id, "complaint": f.complaint},
        overview=overview,
        clearing=clearing,
        clearing_by_category=clearing_cat,
        transitions=transitions,
        responders_by_category=responders("category"),
        responders_by_complaint=responders("complaint"),
        visits_to_mcid={
            "episodes": len(followed),
            "reached": len(reached),
            "median_visit": statistics.median(reached) if reached else None,
        },
        clinicians=clinicians,
        complaints=complaints,
    )
