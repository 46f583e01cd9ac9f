"""Booking, moving, cancelling and checking in, on both databases: what the desk does all day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sotchart.domain.appointments import NeedsConfirmation
from sotchart.domain.errors import Conflict, Forbidden, InvalidInput, StaleVersion
from sotchart.services import appointments, visits
from sotchart.services.context import App
from tests import factories

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the clinic's zone is UTC in tests


@pytest.fixture
def desk(app: App):  # type: ignore[no-untyped-def]
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    clinician = c.actor("clinician").user_id
    return c, p, clinician


def _book(app: App, c, p, clinician, at: str, **more):  # type: ignore[no-untyped-def]
    data = {"patient_id": p.id, "clinician_id": clinician, "type": "follow-up", "starts_at": at, **more}
    return appointments.book(app, c.actor("assistant"), data)


def test_the_desk_books_and_the_calendar_shows_it(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    a = _book(app, c, p, clinician, "2026-12-07T09:30")
    assert a["status"] == "booked" and a["type_code"] == "follow-up"
    assert a["ends_at"] - a["starts_at"] == timedelta(minutes=15)
    cal = appointments.calendar(app, c.actor("assistant"), MONDAY_8.date(), 7)
    assert [x["id"] for x in cal.on(MONDAY_8.date(), clinician)] == [a["id"]]
    assert cal.on(MONDAY_8.date() + timedelta(days=1)) == []


def test_a_double_booking_or_out_of_hours_is_refused_until_confirmed(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    other = factories.patient(app, c, family_name="Otherperson")
    _book(app, c, p, clinician, "2026-12-07T10:00")
    with pytest.raises(NeedsConfirmation) as e:
        _book(app, c, other, clinician, "2026-12-07T10:05")
    assert [w.code for w in e.value.warnings] == ["double-booked-clinician"]
    assert len(appointments.calendar(app, c.actor("assistant"), MONDAY_8.date(), 1).appointments) == 1
    _book(app, c, other, clinician, "2026-12-07T10:05", confirm="1")
    with pytest.raises(NeedsConfirmation) as e:
        _book(app, c, other, clinician, "2026-12-12T10:00")  # a Saturday: closed by default
    assert e.value.warnings[0].code == "outside-clinic-hours"


def test_bad_bookings_say_what_to_fix_and_write_nothing(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    cases = [
        ({"starts_at": "2026-12-04T09:00"}, "starts_at"),  # in the past
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"clinician_id": c.actor("assistant").user_id}, "clinician_id"),  # not a clinician
        ({"clinician_id": 999999}, "clinician_id"),
        ({"type": "massage"}, "type"),
        ({"room_id": "77"}, "room_id"),
        ({"minutes": "900"}, "minutes"),
    ]
    for change, field in cases:
        data = {"patient_id": p.id, "clinician_id": clinician, "type": "follow-up", "starts_at": "2026-12-07T11:00"}
        with pytest.raises(InvalidInput) as e:
            appointments.book(app, c.actor("assistant"), {**data, **change})
        assert field in {pr.field for pr in e.value.problems}, (change, e.value.problems)
    other = factories.clinic_with_staff(app)
    with pytest.raises(InvalidInput):  # a patient of another clinic
        appointments.book(app, other.actor("assistant"), {**data, "clinician_id": other.actor("clinician").user_id})
    assert appointments.calendar(app, c.actor("assistant"), MONDAY_8.date(), 7).appointments == []


def test_move_cancel_and_no_show_keep_the_row_and_its_trail(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    a = _book(app, c, p, clinician, "2026-12-08T09:00")
    moved = appointments.move(app, c.actor("assistant"), a["id"], {"starts_at": "2026-12-08T11:00"}, a["version"])
    assert moved["starts_at"].hour == 11 and moved["version"] == 2
    with pytest.raises(StaleVersion):
        appointments.move(app, c.actor("assistant"), a["id"], {"starts_at": "2026-12-08T12:00"}, a["version"])
    with pytest.raises(InvalidInput, match="cancelled"):
        appointments.set_status(app, c.actor("assistant"), a["id"], "cancelled", reason=" ")
    gone = appointments.set_status(app, c.actor("assistant"), a["id"], "cancelled", reason="Patient called: ill")
    assert gone["status"] == "cancelled" and gone["status_reason"] == "Patient called: ill"
    with pytest.raises(Conflict):
        appointments.move(app, c.actor("assistant"), a["id"], {"starts_at": "2026-12-08T12:00"}, None)
    # The slot is free again: booking it needs no confirmation.
    _book(app, c, p, clinician, "2026-12-08T11:00")
    today = _book(app, c, p, clinician, "2026-12-07T15:00")
    with pytest.raises(Conflict, match="not late yet"):
        appointments.set_status(app, c.actor("assistant"), today["id"], "no-show")
    app.clock = lambda: MONDAY_8.replace(hour=15, minute=20)
    missed = appointments.set_status(app, c.actor("assistant"), today["id"], "no-show")
    assert missed["shown_status"] == "no-show"
    with pytest.raises(Conflict, match="on its day"):  # tomorrow's cannot be checked in today
        appointments.set_status(
            app, c.actor("assistant"), _book(app, c, p, clinician, "2026-12-09T09:00")["id"], "arrived"
        )


def test_a_visit_opens_from_its_appointment_with_episode_and_kind(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    visits.start_episode(app, c.actor("clinician"), p.id, "Neck pain", "2026-12-01")
    a = _book(app, c, p, clinician, "2026-12-07T09:00", type="re-examination")
    appointments.set_status(app, c.actor("assistant"), a["id"], "arrived")
    vid = appointments.open_visit(app, c.actor("clinician"), a["id"])
    v = visits.get_visit(app, c.actor("clinician"), vid)
    assert v.kind == "re-examination" and v.complaint == "Neck pain" and v.visit_date == MONDAY_8.date()
    assert appointments.open_visit(app, c.actor("clinician"), a["id"]) == vid  # a second click opens the same
    shown = appointments.get_appointment(app, c.actor("assistant"), a["id"])
    assert shown["status"] == "with-clinician" and shown["visit_id"] == vid
    later = _book(app, c, p, clinician, "2026-12-08T09:00")
    with pytest.raises(Conflict, match="opens on that day"):
        appointments.open_visit(app, c.actor("clinician"), later["id"])


def test_a_researcher_sees_no_calendar(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, _p, _clinician = desk
    with pytest.raises(Forbidden):
        appointments.calendar(app, c.actor("researcher"), MONDAY_8.date(), 1)


def test_two_appointments_on_one_day_open_two_visits(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    c, p, clinician = desk
    other = factories.second_clinician(app, c)
    morning = _book(app, c, p, clinician, "2026-12-07T09:00", type="re-examination")
    afternoon = _book(app, c, p, c.actors["clinician2"].user_id, "2026-12-07T14:00")
    first = appointments.open_visit(app, c.actor("clinician"), morning["id"])
    second = appointments.open_visit(app, c.actors["clinician2"], afternoon["id"])
    assert first != second
    v = visits.get_visit(app, c.actor("clinician"), second)
    assert v.kind == "follow-up"
    assert other  # the second clinician's email


def test_a_clash_names_the_other_booking_in_the_clinics_own_time(app: App, desk) -> None:  # type: ignore[no-untyped-def]
    from sotchart.services import clinic_settings

    c, p, clinician = desk
    hours = {d: "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    clinic_settings.save_details(app, c.actor("owner"), {"time_zone": "America/Chicago", **hours})
    other = factories.patient(app, c, family_name="Otherperson")
    _book(app, c, p, clinician, "2026-12-07T09:00")
    with pytest.raises(NeedsConfirmation) as e:
        _book(app, c, other, clinician, "2026-12-07T09:05")
    assert "is booked 09:00–09:15" in e.value.warnings[0].message
