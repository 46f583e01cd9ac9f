"""The calendar's pages as the desk uses them: find the patient, book, see it, move, check in, open the visit."""

from __future__ import annotations

from datetime import UTC, datetime

from sotchart.services.context import App
from tests import factories
from tests.support import web

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _desk(app: App):  # type: ignore[no-untyped-def]
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Calendarperson", given_name="Rosa")
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    return c, p, desk


def test_the_desk_finds_the_patient_books_and_sees_the_booking(app: App) -> None:
    c, p, desk = _desk(app)
    clinician = c.actor("clinician").user_id
    page = web.html(desk.get("/appointments/new?q=calendarp&at=2026-12-07T10:00"))
    pick = page.select_one("#patient-choices a")
    assert pick is not None and "Calendarperson, Rosa" in pick.text
    form_page = web.html(desk.get(str(pick["href"])))
    form = form_page.select_one("form#booking")
    values = web.form_values(form) | {"clinician_id": str(clinician), "type": "new-patient"}
    assert values["starts_at"] == "2026-12-07T10:00" and values["patient_id"] == str(p.id)
    r = desk.post("/appointments", data=values)
    assert r.status_code == 303 and r.headers["location"].startswith("/calendar?day=2026-12-07&booked=")
    day = web.html(desk.get(r.headers["location"]))
    rows = day.select("#day-appointments tbody tr")
    assert len(rows) == 1 and "10:00–10:45" in rows[0].text and "New patient" in rows[0].text
    assert day.select_one("#booked-notice") is not None
    events = desk.get("/calendar/events?start=2026-12-07T00:00:00&end=2026-12-08T00:00:00").json()
    assert [(e["start"], e["end"], e["resourceId"]) for e in events] == [
        ("2026-12-07T10:00:00", "2026-12-07T10:45:00", str(clinician))
    ]
    week = web.html(desk.get("/calendar?view=week&day=2026-12-09"))
    assert "1 booked" in week.select_one("#week-table").text


def test_a_double_booking_asks_before_it_books(app: App) -> None:
    c, p, desk = _desk(app)
    clinician = str(c.actor("clinician").user_id)
    other = factories.patient(app, c, family_name="Otherperson")
    token = web.csrf(desk)
    base = {"csrf_token": token, "clinician_id": clinician, "type": "follow-up", "starts_at": "2026-12-07T11:00"}
    assert desk.post("/appointments", data={**base, "patient_id": str(p.id)}).status_code == 303
    again = desk.post("/appointments", data={**base, "patient_id": str(other.id)})
    assert again.status_code == 409
    page = web.html(again)
    assert [li["data-code"] for li in page.select("#cautions li")] == ["double-booked-clinician"]
    assert page.select_one("input#confirm") is not None
    # What was typed is still there, and ticking the box books it.
    kept = web.form_values(page.select_one("form#booking"))
    assert kept["starts_at"] == "2026-12-07T11:00" and kept["patient_id"] == str(other.id)
    assert desk.post("/appointments", data={**kept, "confirm": "1"}).status_code == 303
    bad = desk.post("/appointments", data={**base, "patient_id": str(p.id), "starts_at": "2026-12-01T09:00"})
    assert bad.status_code == 422
    assert "passed" in web.html(bad).select_one("#starts_at-error").text


def test_move_by_drag_then_check_in_and_the_clinician_opens_the_visit(app: App) -> None:
    c, p, desk = _desk(app)
    clinician = str(c.actor("clinician").user_id)
    token = web.csrf(desk)
    r = desk.post(
        "/appointments",
        data={"csrf_token": token, "patient_id": str(p.id), "clinician_id": clinician, "starts_at": "2026-12-07T09:00"},
    )
    aid = r.headers["location"].rsplit("=", 1)[1]
    moved = desk.post(
        f"/appointments/{aid}/move",
        data={"starts_at": "2026-12-07T13:30", "version": "1"},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = desk.post(
        f"/appointments/{aid}/move",
        data={"starts_at": "2026-12-07T14:30", "version": "1"},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )
    assert stale.status_code == 412 and "Reload" in stale.json()["detail"]
    page = web.html(desk.get(f"/appointments/{aid}"))
    assert "13:30" in page.select_one("h1").text
    checked = desk.post(f"/appointments/{aid}/status", data={"csrf_token": token, "status": "arrived", "version": "2"})
    assert checked.status_code == 303
    assert web.html(desk.get(f"/appointments/{aid}")).select_one("#appointment-status").text == "arrived"
    doctor = web.client(app)
    web.sign_in(doctor, c.emails["clinician"], app=app)
    opened = doctor.post(f"/appointments/{aid}/visit", data={"csrf_token": web.csrf(doctor)})
    assert opened.status_code == 303 and opened.headers["location"].startswith("/visits/")
    assert web.html(desk.get(f"/appointments/{aid}")).select_one("#appointment-status").text == "with the clinician"


def test_cancelling_needs_a_reason_and_keeps_the_row(app: App) -> None:
    c, p, desk = _desk(app)
    token = web.csrf(desk)
    r = desk.post(
        "/appointments",
        data={
            "csrf_token": token,
            "patient_id": str(p.id),
            "clinician_id": str(c.actor("clinician").user_id),
            "starts_at": "2026-12-08T09:00",
        },
    )
    aid = r.headers["location"].rsplit("=", 1)[1]
    no_reason = desk.post(f"/appointments/{aid}/status", data={"csrf_token": token, "status": "cancelled"})
    assert no_reason.status_code == 422 and web.html(no_reason).select_one("#reason-error") is not None
    done = desk.post(
        f"/appointments/{aid}/status", data={"csrf_token": token, "status": "cancelled", "reason": "Snowed in"}
    )
    assert done.status_code == 303
    row = web.html(desk.get("/calendar?day=2026-12-08")).select_one("#day-appointments tbody tr")
    assert "cancelled" in row.text and "Snowed in" in row.text


def test_each_role_sees_only_the_menu_it_may_open(app: App) -> None:
    c = factories.clinic_with_staff(app)
    for role in ("owner", "clinician", "assistant", "researcher"):
        client = web.client(app)
        web.sign_in(client, c.emails[role], app=app)
        page = web.html(client.get("/", follow_redirects=True))
        links = [a["href"] for a in page.select("header nav a:not(.brand)")]
        assert links, role
        for href in links:
            assert client.get(str(href)).status_code == 200, (role, href)
        expected = {
            "owner": ["/today", "/calendar", "/patients", "/analytics", "/research", "/settings", "/staff"],
            "clinician": ["/today", "/calendar", "/patients", "/analytics", "/research"],
            "assistant": ["/today", "/calendar", "/patients"],
            "researcher": ["/analytics", "/research"],
        }[role] + ["/account"]  # everyone's own account, from their name
        assert links == expected, role


def test_a_booking_sent_after_the_session_lapsed_comes_back_to_its_form(app: App) -> None:
    _c, p, desk = _desk(app)
    form_page = f"/appointments/new?patient_id={p.id}&at=2026-12-07T10:00"
    token = web.csrf(desk)
    desk.post("/sign-out", data={"csrf_token": token})
    r = desk.post(
        "/appointments",
        data={"csrf_token": token, "patient_id": str(p.id), "starts_at": "2026-12-07T10:00"},
        headers={"Referer": "http://testserver" + form_page},
    )
    assert r.status_code == 303
    from urllib.parse import unquote

    assert unquote(r.headers["location"]) == "/sign-in?next=" + form_page


def test_a_clinician_narrows_today_to_their_own_patients(app: App) -> None:
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    factories.second_clinician(app, c)
    mine = factories.patient(app, c, family_name="Minepatient")
    theirs = factories.patient(app, c, family_name="Theirpatient")
    factories.appointment(app, c, mine.id, starts_at="2026-12-07T10:00")
    factories.appointment(app, c, theirs.id, starts_at="2026-12-07T10:00", clinician_id=c.actor("clinician2").user_id)
    doctor = web.client(app)
    web.sign_in(doctor, c.emails["clinician"], app=app)
    everyone = doctor.get("/today").text
    assert "Minepatient" in everyone and "Theirpatient" in everyone
    only = web.html(doctor.get("/today?mine=1"))
    assert "Minepatient" in only.text and "Theirpatient" not in only.text
    assert only.select_one("#mine-toggle")["aria-pressed"] == "true"
