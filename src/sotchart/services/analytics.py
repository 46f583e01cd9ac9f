"""Practice analytics: is the care working, across the practice? Aggregates only, no patient named."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sotchart.domain import deidentify
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action, Role
from sotchart.services import business
from sotchart.services.context import Actor, App, background_transaction, unit
from sotchart.store import analytics as store
from sotchart.store import rollups
from sotchart.store import users as user_store


@dataclass
class Dashboard:
    filters: dict[str, Any]
    overview: dict[str, Any]
    clearing: list[dict[str, Any]]
    clearing_by_category: list[dict[str, Any]]
    clearing_by_care: list[dict[str, Any]]
    transitions: list[dict[str, Any]]
    responders_by_category: list[dict[str, Any]]
    responders_by_complaint: list[dict[str, Any]]
    visits_to_mcid: dict[str, Any]
    clinicians: list[dict[str, Any]]
    complaints: list[str]
    business: business.Figures


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def parse_period(start: str, end: str, today: date) -> tuple[date, date]:
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


def _refresh(app: App, clinic_id: int, months: list[str]) -> None:
    """Count again the whole months changed since they were counted, one short transaction each, so a
    signing waits at most one month's count. The current month is always read from the visits."""
    for m in months:
        with background_transaction(app) as conn:
            rollups.rebuild(conn, clinic_id, m, app.clock())


def _sum(counts: store.Counts, measure: str, *, by: str = "key1") -> dict[str, int]:
    out: dict[str, int] = {}
    for (complaint, m, key1, key2), n in counts.items():
        if m == measure:
            k = {"key1": key1, "key2": key2, "complaint": complaint, "all": ""}[by]
            out[k] = out.get(k, 0) + n
    return out


def _cat(key: str) -> int | None:
    return int(key) if key else None


def dashboard(
    app: App, actor: Actor, *, start: str = "", end: str = "", clinician_id: int | None = None, complaint: str = ""
) -> Dashboard:
    # A researcher sees complaints only as body regions from a fixed list, never as typed (a complaint can
    # hold a name or a phone number); the clinic's own staff see their complaints as typed.
    coded = actor.role == Role.RESEARCHER
    with unit(app, actor, Action.ANALYTICS_READ, "analytics", read=True) as u:
        s, e = parse_period(start, end, u.today())
        chosen = complaint.strip()[:200]
        typed = store.complaints(u.conn, u.clinic_id())
        if coded and chosen:
            # "\0" matches nothing: a region no complaint falls in counts nothing, not everything.
            complaints = tuple(c for c in typed if deidentify.complaint_category(c) == chosen) or ("\0",)
        else:
            complaints = (chosen,) if chosen else ()
        f = store.Filters(u.clinic_id(), s, e, clinician_id, complaints)
        stale = store.stale_months(u.conn, f, u.today())
    _refresh(app, f.clinic_id, stale)
    with unit(app, actor, Action.ANALYTICS_READ, "analytics", read=True) as u:
        p = store.plan(f, u.today(), store.stale_months(u.conn, f, u.today()))
        visits = store.read(u.conn, f, p, "visits", ("visits", "stops", "emergencies"))
        clearing_counts = store.read(u.conn, f, p, "clearing", ("positive", "rechecked", "cleared"))
        care_counts = store.read(u.conn, f, p, "care", ("care",))
        transitions = store.read(u.conn, f, p, "transitions", ("transition",))
        episodes = store.read(u.conn, f, p, "episodes", ("episodes", "responders", "mcid-at"))
        overview = {
            "visits": sum(_sum(visits, "visits", by="all").values()),
            "patients": store.distinct_patients(u.conn, f, p, "patient"),
            "safety_stops": sum(_sum(visits, "stops", by="all").values()),
            "referred_patients": store.distinct_patients(u.conn, f, p, "referred"),
            "emergencies": sum(_sum(visits, "emergencies", by="all").values()),
        }
        clinicians = [
            {"id": r["id"], "name": r["display_name"]}
            for r in user_store.list_for_clinic(u.conn, u.clinic_id())
            if r["role"] in ("owner", "clinician")
        ]
        figures = business.figures(u, f, with_reasons=not coded)
        offered = sorted({deidentify.complaint_category(c) for c in typed}) if coded else typed
        if coded:
            episodes = _coded(episodes)
        u.audit("analytics.read", "clinic", u.clinic_id(), detail=f"{s}..{e}")

    def clearing_by(by: str, label: str, convert: Any = str) -> list[dict[str, Any]]:
        parts = {m: _sum(clearing_counts, m, by=by) for m in ("positive", "rechecked", "cleared")}
        keys = sorted(parts["positive"], key=lambda k: (k == "", k))
        return [
            {
                label: convert(k),
                **{m: parts[m].get(k, 0) for m in parts},
                "cleared_pct": _rate(parts["cleared"].get(k, 0), parts["rechecked"].get(k, 0)),
            }
            for k in keys
        ]

    care: dict[str, dict[str, int]] = {}
    for (_complaint, _m, kind, part), n in care_counts.items():
        care.setdefault(kind, {"visits": 0, "positive": 0, "rechecked": 0, "cleared": 0})[part] += n
    mcid_at = {int(k): n for k, n in _sum(episodes, "mcid-at").items()}

    def responders(by: str, label: str, convert: Any) -> list[dict[str, Any]]:
        total, met = _sum(episodes, "episodes", by=by), _sum(episodes, "responders", by=by)
        return [
            {label: convert(k), "episodes": n, "responders": met.get(k, 0), "rate_pct": _rate(met.get(k, 0), n)}
            for k, n in sorted(total.items(), key=lambda kv: (kv[0] == "", kv[0]))
        ]

    return Dashboard(
        filters={"start": s.isoformat(), "end": e.isoformat(), "clinician_id": clinician_id, "complaint": chosen},
        overview=overview,
        clearing=clearing_by("key1", "code"),
        clearing_by_category=clearing_by("key2", "category", _cat),
        clearing_by_care=[
            {"procedure": k, **v, "cleared_pct": _rate(v["cleared"], v["rechecked"])} for k, v in sorted(care.items())
        ],
        transitions=[
            {"from": int(a), "to": int(b), "count": n}
            for (_c, _m, a, b), n in sorted(_merge_complaints(transitions).items())
        ],
        responders_by_category=responders("key1", "category", _cat),
        responders_by_complaint=responders("complaint", "complaint", str),
        visits_to_mcid={
            "episodes": sum(_sum(episodes, "episodes", by="all").values()),
            "reached": sum(mcid_at.values()),
            "median_visit": _median(mcid_at),
        },
        clinicians=clinicians,
        complaints=offered,
        business=figures,
    )


def _coded(counts: store.Counts) -> store.Counts:
    """The counts with each complaint as typed replaced by its body region, merged."""
    return _rekey(counts, deidentify.complaint_category)


def _merge_complaints(counts: store.Counts) -> store.Counts:
    return _rekey(counts, lambda _complaint: "")


def _rekey(counts: store.Counts, complaint_as: Callable[[str], str]) -> store.Counts:
    """The counts with each complaint replaced as `complaint_as` says, those that then coincide added up."""
    out: store.Counts = {}
    for (complaint, m, k1, k2), n in counts.items():
        key = (complaint_as(complaint), m, k1, k2)
        out[key] = out.get(key, 0) + n
    return out


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as value → how many times."""
    values = [v for v, n in sorted(histogram.items()) for _ in range(n)]
    return statistics.median(values) if values else None
