"""A clinician's calendar feed parses with icalendar and lists the booked series, names no patient, and
stops when asked; the owner's settings page saves the hours, rooms and mail, and refuses bad values beside
their fields with nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from sotchart.services import care_plans
from sotchart.services.context import App
from tests import factories
from tests.support import web
from tests.support.smtp import smtp_server

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_the_feed_lists_the_booked_series_by_chart_number_and_stops(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Feedperson")
    plan = factories.care_plan(app, c, p.id, frequency="3 a week for 2 weeks, then 2 a week for 3 weeks")
    form = {"first_date": "2026-12-08", "time": "09:00", "clinician_id": c.actor("clinician").user_id}
    _plan, proposed = care_plans.propose_series(app, c.actor("assistant"), plan.id, form)
    data = {**form, **{f"starts_at_{x.number}": x.starts_at.strftime("%Y-%m-%dT%H:%M") for x in proposed}}
    care_plans.book_series(app, c.actor("assistant"), plan.id, data)
    doctor = web.client(app)
    web.sign_in(doctor, c.emails["clinician"], app=app)
    assert web.html(doctor.get("/calendar")).select_one("#feed-link") is not None
    page = web.html(doctor.post("/calendar/feed", data={"csrf_token": web.csrf(doctor)}))
    address = str(page.select_one("#feed-address")["value"])
    path = "/" + address.split("/", 3)[3]
    phone = web.client(app)  # a phone's calendar: no session
    r = phone.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(r.content).walk("VEVENT")
    assert len(events) == 12
    assert sum(1 for e in events if str(e["summary"]).startswith("Re-examination")) == 1
    assert all(p.chart_number in str(e["summary"]) for e in events) and b"Feedperson" not in r.content
    assert events[0].decoded("dtstart") == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    # Made again, the old address stops; stopped, the new one does too.
    doctor.post("/calendar/feed", data={"csrf_token": web.csrf(doctor)})
    assert phone.get(path).status_code == 404
    assert web.html(doctor.get("/calendar/feed")).select_one("#feed-since") is not None
    doctor.post("/calendar/feed/stop", data={"csrf_token": web.csrf(doctor)})
    assert web.html(doctor.get("/calendar/feed")).select_one("#feed-none") is not None
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    refused = desk.post("/calendar/feed", data={"csrf_token": web.csrf(desk)})
    assert refused.status_code == 422 and "Only a clinician" in refused.text


def test_the_owner_sets_hours_rooms_and_mail(app: App) -> None:
    c = factories.clinic_with_staff(app)
    owner = web.client(app)
    web.sign_in(owner, c.emails["owner"], app=app)
    page = web.html(owner.get("/settings"))
    form = web.form_values(page.select_one("form[action='/settings/clinic']"))
    assert form["mon"] == "08:00-18:00" and form["sat"] == ""
    bad = owner.post("/settings/clinic", data=form | {"sat": "9 till noon", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    shown = web.html(bad)
    assert shown.select_one("#sat-error") is not None and shown.select_one("#time_zone-error") is not None
    assert shown.select_one("#hours-sat")["value"] == "9 till noon"  # what was typed stays
    assert web.form_values(web.html(owner.get("/settings")).select_one("form[action='/settings/clinic']"))["sat"] == ""
    ok = owner.post(
        "/settings/clinic", data=form | {"sat": "09:00-12:00", "phone": "+1 555 0100", "time_zone": "America/Denver"}
    )
    assert ok.status_code == 303
    saved = web.form_values(web.html(owner.get("/settings")).select_one("form[action='/settings/clinic']"))
    assert saved["sat"] == "09:00-12:00" and saved["time_zone"] == "America/Denver"
    owner.post("/settings/rooms", data={"csrf_token": web.csrf(owner), "room": "Room 1"})
    again = owner.post("/settings/rooms", data={"csrf_token": web.csrf(owner), "room": "room 1"})
    assert again.status_code == 422 and "already" in again.text
    assert [li.text for li in web.html(owner.get("/settings")).select("#room-list li")] == ["Room 1"]
    with smtp_server() as (inbox, port):
        mail = {"csrf_token": web.csrf(owner), "host": "127.0.0.1", "port": str(port), "security": "none"}
        mail |= {"username": "", "password": "s3cret", "sender": "desk@clinic.example", "reminder_hours": "24"}
        assert owner.post("/settings/mail", data=mail).status_code == 303
        page = web.html(owner.get("/settings"))
        assert "s3cret" not in str(page) and "leave empty to keep" in page.select_one("#password")["placeholder"]
        sent = owner.post("/settings/mail/test", data={"csrf_token": web.csrf(owner), "to": "owner@clinic.example"})
        assert sent.status_code == 303 and len(inbox.messages) == 1
    clinician = web.client(app)
    web.sign_in(clinician, c.emails["clinician"], app=app)
    assert clinician.get("/settings").status_code == 403
