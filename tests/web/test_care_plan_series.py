"""The care plan books its series from the chart: set the cadence, see the visits proposed, book them."""

from __future__ import annotations

from datetime import UTC, datetime

from sotchart.services import appointments, visits
from sotchart.services.context import App
from tests import factories
from tests.support import web

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_a_twelve_visit_series_is_booked_in_a_few_actions_and_today_counts_it(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Seriesperson")
    visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain", "2026-12-07")
    doctor = web.client(app)
    web.sign_in(doctor, c.emails["clinician"], app=app)
    actions = 0
    chart = web.html(doctor.get(f"/patients/{p.id}"))
    plan_form = web.html(doctor.get(str(chart.select_one("#set-plan")["href"])))
    actions += 1  # "Set a care plan"
    values = web.form_values(plan_form.select_one("#care-plan-form"))
    assert values["reexam_every"] == "12"
    values["frequency"] = "3 a week for 2 weeks, then 2 a week for 3 weeks"
    r = doctor.post(f"/patients/{p.id}/care-plan", data=values)
    actions += 2  # type the frequency, save
    assert r.status_code == 303 and "/series" in r.headers["location"]
    series = web.html(doctor.get(r.headers["location"]))
    rows = series.select("#series-table tbody tr")
    assert len(rows) == 12
    assert [row.select_one(".type-chip").text for row in rows].count("Re-examination") == 1  # the 12th
    booked = doctor.post(r.headers["location"], data=web.form_values(series.select_one("#series-form")))
    actions += 1  # "Book 12 appointments"
    assert booked.status_code == 303, web.html(booked).text[:500]
    assert actions <= 6
    chart = web.html(doctor.get(booked.headers["location"]))
    assert "next: visit 1" in chart.select_one("#plan-progress").text
    assert "12 booked ahead" in chart.select_one("#plan-progress").text
    assert chart.select_one("#book-series-link") is None  # nothing left to book
    # A thirteenth visit sent by hand is refused; nothing is added.
    again = doctor.post(
        r.headers["location"],
        data={
            "csrf_token": web.csrf(doctor),
            "clinician_id": str(c.actor("clinician").user_id),
            "starts_at_13": "2027-01-11T09:00",
        },
    )
    assert again.status_code == 422
    cal = appointments.calendar(app, c.actor("assistant"), MONDAY_8.date(), 60)
    assert len(cal.appointments) == 12
    # Today's visit in the plan's episode is its first; the visit screen says so.
    v = factories.visit(app, c, p.id)
    assert web.html(doctor.get(f"/visits/{v.id}")).select_one("#plan-place").text == "Care plan: visit 1 of 12"


def test_today_shows_the_booked_the_cancelled_and_the_no_show(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    names = ("Comer", "Canceller", "Misser")
    people = [factories.patient(app, c, family_name=n) for n in names]
    booked = [
        factories.appointment(app, c, person.id, starts_at=f"2026-12-07T{9 + i:02d}:00")
        for i, person in enumerate(people)
    ]
    appointments.set_status(app, c.actor("assistant"), booked[1]["id"], "cancelled", reason="Car broke down")
    app.clock = lambda: MONDAY_8.replace(hour=11, minute=30)  # past the missed 11:00, before the others' visits
    appointments.set_status(app, c.actor("assistant"), booked[2]["id"], "no-show")
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    page = web.html(desk.get("/today"))
    rows = {r.select_one("td:nth-of-type(2) a").text.split(",")[0]: r for r in page.select("#day-list tbody tr")}
    assert set(rows) == set(names)
    assert rows["Canceller"].select_one(".status").text == "cancelled" and "Car broke down" in rows["Canceller"].text
    assert rows["Misser"].select_one(".status").text == "no-show"
    assert "1 cancelled" in page.select_one("#day-counts").text and "1 no-show" in page.select_one("#day-counts").text
    # The desk checks the first patient in from Today; the clinician then opens the visit from there.
    form = rows["Comer"].select_one("form")
    r = desk.post(str(form["action"]), data=web.form_values(form))
    assert r.status_code == 303 and r.headers["location"] == "/today"
    doctor = web.client(app)
    web.sign_in(doctor, c.emails["clinician"], app=app)
    row = next(r for r in web.html(doctor.get("/today")).select("#day-list tbody tr") if "Comer" in r.text)
    assert row.select_one(".status").text == "arrived"
    opened = doctor.post(str(row.select_one("form")["action"]), data={"csrf_token": web.csrf(doctor)})
    assert opened.status_code == 303 and opened.headers["location"].startswith("/visits/")
    row = next(r for r in web.html(doctor.get("/today")).select("#day-list tbody tr") if "Comer" in r.text)
    assert row.select_one(".status").text == "with the clinician" and row["data-visit"]
