"""Practice analytics over signed visits, on both databases: the numbers a hand count gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sotchart.domain.errors import Forbidden, InvalidInput
from sotchart.services import analytics, visits
from sotchart.services.context import App
from tests import factories


def test_dashboard_counts(app: App) -> None:
    c = factories.clinic_with_staff(app)
    today = app.clock().date()
    d = [(today - timedelta(days=n)).isoformat() for n in (30, 20, 10)]
    p1, p2 = factories.patient(app, c), factories.patient(app, c, family_name="Second")
    e1 = visits.start_episode(app, c.actor("clinician"), p1.id, "Low back pain")
    e2 = visits.start_episode(app, c.actor("clinician"), p2.id, "Low back pain")
    # Patient 1: pain 8 → 7 → 5 (MCID at visit 3), Cat 1 → 1 → 2, heel tension cleared twice of three.
    factories.signed_visit(app, c, p1.id, e1, d[0], pain=8, category=1, cleared=True)
    factories.signed_visit(app, c, p1.id, e1, d[1], pain=7, category=1, cleared=False)
    factories.signed_visit(app, c, p1.id, e1, d[2], pain=5, category=2, cleared=True)
    # Patient 2: pain 6 → 6, never a responder; one visit stopped by the safety gate (overridden).
    factories.signed_visit(app, c, p2.id, e2, d[0], pain=6, category=3, cleared=False, safety=True)
    factories.signed_visit(app, c, p2.id, e2, d[1], pain=6, category=3, cleared=False)
    r = analytics.dashboard(app, c.actor("owner"))
    assert r.overview == {"visits": 5, "patients": 2, "safety_stops": 1, "referred_patients": 1, "emergencies": 0}
    assert r.clearing == [{"code": "heel-tension", "positive": 5, "rechecked": 5, "cleared": 2, "cleared_pct": 40.0}]
    assert {(t["from"], t["to"]): t["count"] for t in r.transitions} == {(1, 1): 1, (1, 2): 1, (3, 3): 1}
    by_cat = {row["category"]: row for row in r.responders_by_category}
    assert by_cat[1]["responders"] == 1 and by_cat[3]["responders"] == 0
    assert r.visits_to_mcid == {"episodes": 2, "reached": 1, "median_visit": 3}
    assert r.clearing_by_care == [
        {"procedure": "blocking", "visits": 5, "positive": 5, "rechecked": 5, "cleared": 2, "cleared_pct": 40.0}
    ]
    # A filter that matches nothing is an empty dashboard, not an error.
    empty = analytics.dashboard(app, c.actor("owner"), start="2001-01-01", end="2001-12-31")
    assert empty.overview["visits"] == 0 and empty.clearing == []
    researcher = analytics.dashboard(app, c.actor("researcher"))
    assert researcher.overview["visits"] == 5
    with pytest.raises(Forbidden):
        analytics.dashboard(app, c.actor("assistant"))
    with pytest.raises(InvalidInput):
        analytics.dashboard(app, c.actor("owner"), start="2026-12-01", end="2026-01-01")


def test_a_researcher_sees_complaints_only_as_body_regions(app: App) -> None:
    # The complaint filter once listed "Jane Roe 555-0123 MRN 778899" to a researcher, as typed.
    c = factories.clinic_with_staff(app)
    today = app.clock().date()
    day = (today - timedelta(days=10)).isoformat()
    for i, typed in enumerate(("Jane Roe 555-0123 MRN 778899 neck", "Stiff neck after a fall", "Low back pain")):
        p = factories.patient(app, c, family_name=f"Region{i}")
        e = visits.start_episode(app, c.actor("clinician"), p.id, typed)
        factories.signed_visit(app, c, p.id, e, day, pain=6, category=1, cleared=True)
    seen = analytics.dashboard(app, c.actor("researcher"))
    assert seen.complaints == ["low back", "neck"]
    assert {r["complaint"] for r in seen.responders_by_complaint} <= {"low back", "neck"}
    assert "555-0123" not in repr(seen)
    neck = analytics.dashboard(app, c.actor("researcher"), complaint="neck")
    assert neck.overview["patients"] == 2 and neck.filters["complaint"] == "neck"
    # The clinic's own staff see their complaints as typed.
    assert "Stiff neck after a fall" in analytics.dashboard(app, c.actor("owner")).complaints
