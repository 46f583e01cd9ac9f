"""The care plan books its series: proposed on the plan's cadence with its re-exams, booked all or none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sotchart.domain.appointments import NeedsConfirmation
from sotchart.domain.errors import InvalidInput
from sotchart.services import appointments, care_plans, visits
from sotchart.services.context import App
from tests import factories

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def planned(app: App):  # type: ignore[no-untyped-def]
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain", "2026-12-07")
    plan = care_plans.set_plan(
        app,
        c.actor("clinician"),
        p.id,
        {"frequency": "3 a week for 2 weeks, then 2 a week for 3 weeks", "reexam_every": "6"},
    )
    return c, p, plan


def test_the_series_follows_the_cadence_and_books_the_re_exams(app: App, planned) -> None:  # type: ignore[no-untyped-def]
    c, p, plan = planned
    assert plan.cadence.visits == 12 and plan.progress.say() == "0 of 12 visits done · next: visit 1"
    form = {"first_date": "2026-12-07", "time": "09:00", "clinician_id": c.actor("clinician").user_id}
    _plan, proposed = care_plans.propose_series(app, c.actor("assistant"), plan.id, form)
    days = [x.starts_at.date() for x in proposed]
    # Mon/Wed/Fri for two weeks, then Mon/Thu for three.
    assert days[:6] == [date(2026, 12, d) for d in (7, 9, 11, 14, 16, 18)]
    assert days[6:] == [
        date(2026, 12, 21),
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 12, 31),
        date(2027, 1, 4),
        date(2027, 1, 7),
    ]
    assert [x.number for x in proposed if x.kind == "re-examination"] == [6, 12]
    data = {**form, **{f"starts_at_{x.number}": x.starts_at.strftime("%Y-%m-%dT%H:%M") for x in proposed}}
    ids = care_plans.book_series(app, c.actor("assistant"), plan.id, data)
    assert len(ids) == 12
    cal = appointments.calendar(app, c.actor("assistant"), date(2026, 12, 7), 40)
    assert [a["type_code"] for a in cal.appointments].count("re-examination") == 2
    assert care_plans.active_plan(app, c.actor("assistant"), p.id).progress.booked == 12
    # Nothing is left to book; a thirteenth visit is beyond the plan.
    with pytest.raises(InvalidInput, match="holds 12 visits"):
        care_plans.book_series(app, c.actor("assistant"), plan.id, {**form, "starts_at_13": "2027-01-11T09:00"})


def test_a_series_clash_books_nothing_until_confirmed(app: App, planned) -> None:  # type: ignore[no-untyped-def]
    c, _p, plan = planned
    clinician = c.actor("clinician").user_id
    other = factories.patient(app, c, family_name="Otherperson")
    appointments.book(
        app, c.actor("assistant"), {"patient_id": other.id, "clinician_id": clinician, "starts_at": "2026-12-09T09:00"}
    )
    form = {"first_date": "2026-12-07", "time": "09:00", "clinician_id": clinician}
    _plan, proposed = care_plans.propose_series(app, c.actor("assistant"), plan.id, form)
    assert [x.number for x in proposed if x.cautions] == [2]
    data = {**form, **{f"starts_at_{x.number}": x.starts_at.strftime("%Y-%m-%dT%H:%M") for x in proposed}}
    with pytest.raises(NeedsConfirmation, match="Visit 2"):
        care_plans.book_series(app, c.actor("assistant"), plan.id, data)
    assert len(appointments.calendar(app, c.actor("assistant"), date(2026, 12, 7), 40).appointments) == 1
    assert len(care_plans.book_series(app, c.actor("assistant"), plan.id, {**data, "confirm": "1"})) == 12


def test_only_a_clinician_sets_the_plan_and_a_new_plan_ends_the_old(app: App, planned) -> None:  # type: ignore[no-untyped-def]
    from sotchart.domain.errors import Forbidden

    c, p, plan = planned
    with pytest.raises(Forbidden):
        care_plans.set_plan(app, c.actor("assistant"), p.id, {"frequency": "2 a week for 4 weeks"})
    again = care_plans.set_plan(app, c.actor("clinician"), p.id, {"frequency": "1 a week for 4 weeks"})
    assert again.id != plan.id and care_plans.active_plan(app, c.actor("clinician"), p.id).id == again.id


def test_a_changed_cadence_keeps_the_booked_visits_and_books_only_the_rest(app: App, planned) -> None:  # type: ignore[no-untyped-def]
    c, p, plan = planned
    form = {"first_date": "2026-12-08", "time": "09:00", "clinician_id": c.actor("clinician").user_id}
    _plan, proposed = care_plans.propose_series(app, c.actor("assistant"), plan.id, form)
    first_four = {f"starts_at_{x.number}": x.starts_at.strftime("%Y-%m-%dT%H:%M") for x in proposed[:4]}
    care_plans.book_series(app, c.actor("assistant"), plan.id, {**form, **first_four})
    again = care_plans.set_plan(app, c.actor("clinician"), p.id, {"frequency": plan.frequency, "reexam_every": "6"})
    assert again.id == plan.id  # the same plan sent again changes nothing
    changed = care_plans.set_plan(
        app,
        c.actor("clinician"),
        p.id,
        {"frequency": "2 a week for 5 weeks", "reexam_every": "6", "start_date": "2026-12-07"},
    )
    assert changed.id != plan.id and changed.progress.booked == 4
    _plan, rest = care_plans.propose_series(app, c.actor("assistant"), changed.id, form)
    assert [x.number for x in rest] == list(range(5, 11))


def test_a_plan_for_a_patient_without_an_episode_starts_one(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    with pytest.raises(InvalidInput) as e:
        care_plans.set_plan(app, c.actor("clinician"), p.id, {"frequency": "2 a week for 4 weeks"})
    assert e.value.problems[0].field == "complaint"
    plan = care_plans.set_plan(
        app, c.actor("clinician"), p.id, {"frequency": "2 a week for 4 weeks", "complaint": "Neck pain"}
    )
    assert plan.cadence.visits == 8
    assert visits.create_visit(app, c.actor("clinician"), p.id, {}).complaint == "Neck pain"
