"""The appointment's life, opening hours and clashes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from itertools import pairwise

import pytest

from sotchart.domain import appointments as a
from sotchart.domain.errors import Conflict, InvalidInput


def test_a_booked_appointment_moves_through_the_day_and_never_back() -> None:
    path = [a.Status.BOOKED, a.Status.ARRIVED, a.Status.IN_ROOM, a.Status.WITH_CLINICIAN, a.Status.DONE]
    for here, there in pairwise(path):
        a.check_transition(here, there)
    for later, earlier in ((y, x) for x, y in pairwise(path)):
        with pytest.raises(Conflict):
            a.check_transition(later, earlier)
    with pytest.raises(Conflict, match="Book a new appointment"):
        a.check_transition(a.Status.CANCELLED, a.Status.BOOKED)


def test_a_no_show_who_walks_in_late_is_arrived_after_all() -> None:
    a.check_transition(a.Status.NO_SHOW, a.Status.ARRIVED)
    with pytest.raises(Conflict):
        a.check_transition(a.Status.NO_SHOW, a.Status.CANCELLED)


def test_opening_hours_read_as_the_settings_form_writes_them() -> None:
    hours = a.parse_hours({"mon": "08:00-12:00, 14:00-18:00", "sat": "09:00-12:00"})
    assert hours[0] == ((time(8), time(12)), (time(14), time(18)))
    assert hours[1] == () and hours[5] == ((time(9), time(12)),)
    assert a.parse_hours(a.hours_text(hours)) == hours
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert a.within_hours(hours, monday, monday.replace(hour=9, minute=30))
    assert not a.within_hours(hours, monday.replace(hour=11, minute=45), monday.replace(hour=12, minute=15))
    assert not a.within_hours(hours, monday.replace(day=8), monday.replace(day=8, hour=10))  # Tuesday: closed


def test_bad_hours_say_which_day_to_fix() -> None:
    with pytest.raises(InvalidInput) as e:
        a.parse_hours({"tue": "9 to 5", "wed": "12:00-08:00", "thu": "08:00-12:00, 11:00-13:00"})
    assert [p.field for p in e.value.problems] == ["tue", "wed", "thu"]
    assert "Tuesday" in e.value.problems[0].message and "overlap" in e.value.problems[2].message


def _slot(i: int | None, clinician: int, room: int | None, start: int, end: int, patient: int = 1) -> a.Slot:
    return a.Slot(
        i, patient, clinician, room, datetime(2026, 12, 7, start, tzinfo=UTC), datetime(2026, 12, 7, end, tzinfo=UTC)
    )


def test_a_clash_names_the_clinician_the_room_or_the_patient() -> None:
    names = {"clinician": "Dr Lee", "room": "Room 2"}
    new = _slot(None, 7, 2, 9, 10, patient=5)
    assert [c.code for c in a.clashes(new, [_slot(1, 7, None, 9, 10)], names)] == ["double-booked-clinician"]
    assert [c.code for c in a.clashes(new, [_slot(1, 8, 2, 9, 10)], names)] == ["double-booked-room"]
    assert [c.code for c in a.clashes(new, [_slot(1, 8, None, 9, 10, patient=5)], names)] == ["patient-double-booked"]
    # Back to back is not a clash, and an appointment does not clash with itself when moved.
    assert a.clashes(new, [_slot(1, 7, 2, 10, 11)], names) == []
    assert a.clashes(_slot(3, 7, 2, 9, 10), [_slot(3, 7, 2, 9, 10)], names) == []
    assert "Dr Lee is booked 09:00–10:00." in a.clashes(new, [_slot(1, 7, None, 9, 10)], names)[0].message
