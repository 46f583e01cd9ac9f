"""The counted months give exactly what counting the signed visits gives, and a month changed after it
was counted (a late note, an amendment) is counted again before it is read."""

from __future__ import annotations

from datetime import date, timedelta

from sotchart.services import analytics, charting, visits
from sotchart.services.context import App
from sotchart.store import analytics as store
from sotchart.store import rollups
from sotchart.store.tables import outcome_month
from tests import factories

FAMILIES = {
    "visits": ("visits", "stops", "emergencies"),
    "clearing": ("positive", "rechecked", "cleared"),
    "care": ("care",),
    "transitions": ("transition",),
    "episodes": ("episodes", "responders", "mcid-at"),
}


def _months_ago(today: date, months: int, day: int) -> str:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(y, m + 1, day).isoformat()


def _practice(app: App) -> tuple[factories.ClinicWithStaff, date]:
    """Three patients over five months, with categories changing, pain falling for some, one safety stop."""
    c = factories.clinic_with_staff(app)
    today = app.clock().date()
    for i, (pains, cats, procs) in enumerate(
        (
            ((8, 7, 5, 4), (1, 1, 2, 2), ("blocking",)),
            ((6, 6, 6), (3, 3, 1), ("cmrt", "cranial")),
            ((9, 5), (2, 2), ("blocking", "cmrt")),
        )
    ):
        p = factories.patient(app, c, family_name=f"Rollup{i}")
        ep = visits.start_episode(app, c.actor("clinician"), p.id, ("Low back pain", "Neck pain")[i % 2])
        for k, (pain, cat) in enumerate(zip(pains, cats, strict=True)):
            factories.signed_visit(
                app,
                c,
                p.id,
                ep,
                _months_ago(today, 4 - k, 3 + i),
                pain=pain,
                category=cat,
                cleared=(k + i) % 2 == 0,
                safety=(i, k) == (1, 0),
                procedures=procs,
            )
    return c, today


def test_counted_months_equal_counting_the_visits(app: App) -> None:
    c, today = _practice(app)
    analytics.dashboard(app, c.actor("owner"))  # counts the whole months
    f = store.Filters(c.id, today - timedelta(days=365), today)
    with app.db.read() as conn:
        assert store.stale_months(conn, f, today) == []
        assert conn.execute(outcome_month.select().where(outcome_month.c.clinic_id == c.id)).first() is not None
        counted = store.plan(f, today)
        from_visits = store.plan(f, today, stale=store.whole_months(f.start, f.end, today))
        assert counted.months and not from_visits.months
        for family, measures in FAMILIES.items():
            assert store.read(conn, f, counted, family, measures) == store.read(conn, f, from_visits, family, measures)
        for measure in ("patient", "referred"):
            assert store.distinct_patients(conn, f, counted, measure) == store.distinct_patients(
                conn, f, from_visits, measure
            )
        assert store.distinct_patients(conn, f, counted, "patient") == 3
        assert store.distinct_patients(conn, f, counted, "referred") == 1


def test_a_late_note_and_an_amendment_are_counted(app: App) -> None:
    c, today = _practice(app)
    before = analytics.dashboard(app, c.actor("owner"))
    p = factories.patient(app, c, family_name="Latecomer")
    ep = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    late = factories.signed_visit(app, c, p.id, ep, _months_ago(today, 3, 20), pain=7, category=3, cleared=True)
    with app.db.read() as conn:
        f = store.Filters(c.id, today - timedelta(days=365), today)
        assert rollups.month_of(date.fromisoformat(_months_ago(today, 3, 20))) in store.stale_months(conn, f, today)
    after = analytics.dashboard(app, c.actor("owner"))
    assert after.overview["visits"] == before.overview["visits"] + 1
    assert after.overview["patients"] == before.overview["patients"] + 1
    # Amending the category moves the transition counted in the next visit's month too.
    nxt = factories.signed_visit(app, c, p.id, ep, _months_ago(today, 2, 20), pain=6, category=3, cleared=True)
    three_to_three = {(t["from"], t["to"]): t["count"] for t in analytics.dashboard(app, c.actor("owner")).transitions}
    doc = charting.open_record(app, c.actor("clinician"), late).document
    doc["confirmed_category"] = {"category": 1, "side": "right"}
    charting.amend(app, c.actor("clinician"), late, doc, "Category misrecorded", None)
    moved = {(t["from"], t["to"]): t["count"] for t in analytics.dashboard(app, c.actor("owner")).transitions}
    assert moved[(3, 3)] == three_to_three[(3, 3)] - 1
    assert moved.get((1, 3), 0) == three_to_three.get((1, 3), 0) + 1
    assert nxt
