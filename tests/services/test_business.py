"""The practice's business figures on the analytics page, on both databases: the numbers a hand count of
the clinic's visits, plans and appointments gives, under the page's filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sotchart.domain import business as rules
from sotchart.services import analytics, appointments, visits
from sotchart.services.context import App
from tests import factories

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the clinic's zone is UTC in tests


def _day(n: int) -> str:
    return (MONDAY_8.date() - timedelta(days=n)).isoformat()


def test_the_practice_figures_are_a_hand_count(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    doc = c.actor("clinician")
    kept, new, gone = (factories.patient(app, c, family_name=n) for n in ("Kept", "New", "Gone"))
    # The period: the last 28 days; the span before it: the 28 days before those.
    for p, days in ((kept, (40, 20, 13)), (new, (10, 9, 3)), (gone, (45,))):
        e = visits.start_episode(app, doc, p.id, "Low back pain")
        for n in days:
            factories.signed_visit(app, c, p.id, e, _day(n), pain=5, category=1, cleared=True)
    # A visit entered in error never happened: it counts nowhere.
    ep = visits.start_episode(app, doc, gone.id, "Neck pain")
    wrong = factories.signed_visit(app, c, gone.id, ep, _day(2), pain=5, category=1, cleared=True)
    visits.mark_entered_in_error(app, doc, wrong, "Charted on the wrong patient", None)

    # Today: one came, one did not, one cancelled; one is booked for tomorrow.
    def book(p: object, at: str) -> dict:
        data = {"patient_id": p.id, "clinician_id": doc.user_id, "type": "follow-up", "starts_at": at, "confirm": "1"}  # type: ignore[attr-defined]
        return appointments.book(app, c.actor("assistant"), data)

    came, missed, called = (book(p, f"2026-12-07T{h}") for p, h in ((kept, "09:00"), (new, "09:30"), (gone, "10:00")))
    book(kept, "2026-12-08T09:00")
    book(new, "2026-12-14T09:00")  # next week: each week's counts add up to the period's
    appointments.set_status(app, c.actor("assistant"), called["id"], "cancelled", reason="Patient called: ill")
    app.clock = lambda: MONDAY_8.replace(hour=11)
    appointments.set_status(app, c.actor("assistant"), came["id"], "arrived")
    appointments.set_status(app, c.actor("assistant"), missed["id"], "no-show")

    b = analytics.dashboard(app, c.actor("owner"), start=_day(27), end="2026-12-15").business
    assert (b.visits, b.days_open, b.per_open_day) == (5, 5, 1.0)
    assert (b.patients_seen, b.new_patients, b.new_returned) == (2, 1, 1)
    assert b.visit_average == 5.0  # 5 visits for the one new patient
    # Seen in the 29 days before the period: Kept and Gone; only Kept came again.
    assert (b.retention["seen_before"], b.retention["seen_again"], b.retention["pct"]) == (2, 1, 50.0)
    a = b.appointments
    assert (a["total"], a["came"], a["cancelled"], a["no_shows"], a["still_booked"]) == (5, 1, 1, 1, 2)
    assert (a["no_show_pct"], a["cancelled_pct"]) == (50.0, 20.0)
    assert b.reasons == [("Patient called: ill", 1)]
    assert sum(s["visits"] for s in b.spans) == 5 and sum(s["total"] for s in b.spans) == 5
    assert [(s["label"], s["total"], s["no_shows"]) for s in b.spans[-2:]] == [
        ("07 Dec 2026", 4, 1),
        ("14 Dec 2026", 1, 0),
    ]

    # Under a clinician filter another clinician's patients are not counted; a researcher sees no reasons.
    other = analytics.dashboard(app, c.actor("owner"), start=_day(27), clinician_id=c.actor("owner").user_id)
    assert (other.business.visits, other.business.appointments["total"]) == (0, 0)
    assert analytics.dashboard(app, c.actor("researcher"), start=_day(27), end="2026-12-08").business.reasons == []


def test_care_plans_completed_ended_early_and_under_way(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    done, early, going = (factories.patient(app, c, family_name=n) for n in ("Done", "Early", "Going"))
    plans = {p.id: factories.care_plan(app, c, p.id, "2 a week for 1 week") for p in (done, early, going)}
    for _ in range(2):
        factories.signed_visit(app, c, done.id, plans[done.id].episode_id, _day(0), pain=4, category=1, cleared=True)
    # A second plan for Early ends the first before its two visits were given.
    factories.care_plan(app, c, early.id, "3 a week for 2 weeks")
    b = analytics.dashboard(app, c.actor("owner"), start=_day(1)).business
    assert b.plans == {"begun": 4, "completed": 1, "ended_early": 1, "under_way": 2, "completion_pct": 50.0}


def test_a_long_period_is_shown_by_month() -> None:
    weeks = rules.spans(date(2026, 1, 1), date(2026, 3, 31))
    assert weeks[0].label == "29 Dec 2025" and weeks[0].first == date(2026, 1, 1)
    months = rules.spans(date(2024, 1, 15), date(2026, 3, 31))
    assert [m.label for m in months[:2]] == ["January 2024", "February 2024"]
    assert months[0].first == date(2024, 1, 15) and months[-1].last == date(2026, 3, 31)
    assert rules.span_before(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 1, 29), date(2026, 2, 28))
