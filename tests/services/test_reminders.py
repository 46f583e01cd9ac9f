"""Confirmations and reminders reach a real SMTP server: written with the booking, sent when due, re-dated
by a move, called off by a cancellation, one message for a care plan's series, retried when the server is
down, and never sent twice by two senders."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from sotchart.domain.errors import InvalidInput
from sotchart.services import appointments, care_plans, reminders
from sotchart.services.context import App
from sotchart.store import reminders as store
from tests import factories
from tests.support.server import free_port
from tests.support.smtp import smtp_server

MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _clinic(app: App, port: int):  # type: ignore[no-untyped-def]
    app.clock = lambda: MONDAY_8
    c = factories.clinic_with_staff(app)
    mail = {"host": "127.0.0.1", "port": str(port), "security": "none", "sender": "desk@clinic.example"}
    reminders.set_mail(app, c.actor("owner"), mail | {"reminder_hours": "24"})
    p = factories.patient(app, c, given_name="Mirela", email="mirela@example.org")
    return c, p


def _messages(app: App, appointment_id: int) -> list[dict]:  # type: ignore[type-arg]
    with app.db.read() as conn:
        return store.messages_of(conn, appointment_id)


def test_the_confirmation_then_the_reminder_arrive(app: App) -> None:
    with smtp_server() as (inbox, port):
        c, p = _clinic(app, port)
        a = factories.appointment(app, c, p.id, starts_at="2026-12-09T10:30", confirm="")
        assert [m["kind"] for m in _messages(app, a["id"])] == ["confirmation", "reminder"]
        assert reminders.send_due(app).sent == 1
        msg = inbox.messages[0]
        assert inbox.recipients[0] == ["mirela@example.org"] and msg["From"] == "desk@clinic.example"
        assert "Wed 09 Dec 2026 at 10:30" in msg["Subject"]
        text = next(part for part in msg.walk() if part.get_content_type() == "text/plain").get_payload(decode=True)
        assert b"Hello Mirela" in text and b"Wednesday 09 December 2026 at 10:30" in text
        ics = next(part for part in msg.walk() if part.get_content_type() == "text/calendar").get_payload(decode=True)
        event = Calendar.from_ical(ics).walk("VEVENT")[0]
        assert event.decoded("dtstart") == datetime(2026, 12, 9, 10, 30, tzinfo=UTC)
        assert reminders.send_due(app).sent == 0  # the reminder is not due yet
        app.clock = lambda: datetime(2026, 12, 8, 10, 31, tzinfo=UTC)  # 24 hours before
        assert reminders.send_due(app).sent == 1
        assert str(inbox.messages[1]["Subject"]).strip().startswith("Reminder: your appointment")
        assert [m["status"] for m in _messages(app, a["id"])] == ["sent", "sent"]


def test_a_move_re_dates_the_reminder_and_a_cancellation_calls_it_off(app: App) -> None:
    with smtp_server() as (inbox, port):
        c, p = _clinic(app, port)
        a = factories.appointment(app, c, p.id, starts_at="2026-12-09T10:30", confirm="")
        moved = appointments.move(app, c.actor("assistant"), a["id"], {"starts_at": "2026-12-10T10:30"}, a["version"])
        reminder = next(m for m in _messages(app, a["id"]) if m["kind"] == "reminder")
        assert reminder["due_at"] == datetime(2026, 12, 9, 10, 30, tzinfo=UTC)
        assert reminders.send_due(app).sent == 2  # the booking's confirmation and the move's
        assert "Thu 10 Dec" in inbox.messages[-1]["Subject"]
        appointments.set_status(
            app, c.actor("assistant"), a["id"], "cancelled", reason="Patient called", if_match=moved["version"]
        )
        app.clock = lambda: datetime(2026, 12, 9, 11, 0, tzinfo=UTC)
        assert reminders.send_due(app).sent == 0
        assert next(m for m in _messages(app, a["id"]) if m["kind"] == "reminder")["status"] == "cancelled"
        assert len(inbox.messages) == 2


def test_a_series_is_confirmed_in_one_message_listing_every_visit(app: App) -> None:
    with smtp_server() as (inbox, port):
        c, p = _clinic(app, port)
        plan = factories.care_plan(app, c, p.id, frequency="3 a week for 2 weeks, then 2 a week for 3 weeks")
        form = {"first_date": "2026-12-08", "time": "09:00", "clinician_id": c.actor("clinician").user_id}
        _plan, proposed = care_plans.propose_series(app, c.actor("assistant"), plan.id, form)
        data = {**form, **{f"starts_at_{x.number}": x.starts_at.strftime("%Y-%m-%dT%H:%M") for x in proposed}}
        ids = care_plans.book_series(app, c.actor("assistant"), plan.id, {**data, "confirm": "1"})
        assert reminders.send_due(app).sent == 1
        body = inbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert str(inbox.messages[0]["Subject"]).strip().startswith("Your 12 appointments")
        assert body.count(" at 09:00") == 12
        assert sum(1 for i in ids for m in _messages(app, i) if m["kind"] == "reminder") == 12


def test_a_server_that_is_down_is_tried_again_and_a_patient_without_email_gets_nothing(app: App) -> None:
    c, p = _clinic(app, free_port())  # nothing listens there
    a = factories.appointment(app, c, p.id, starts_at="2026-12-09T10:30", confirm="")
    done = reminders.send_due(app)
    assert done.failed == 1 and done.sent == 0
    first = _messages(app, a["id"])[0]
    assert first["status"] == "pending" and first["attempts"] == 1 and "ConnectionRefused" in first["last_error"]
    assert first["due_at"] > MONDAY_8  # later, not in a tight loop
    silent = factories.patient(app, c, family_name="Nomail")
    b = factories.appointment(app, c, silent.id, starts_at="2026-12-09T11:30")
    assert _messages(app, b["id"]) == []


def test_two_senders_at_once_send_each_message_once(app: App) -> None:
    with smtp_server() as (inbox, port):
        c, p = _clinic(app, port)
        for hour in range(9, 17):
            factories.appointment(app, c, p.id, starts_at=f"2026-12-09T{hour:02d}:00")
        results = []
        threads = [threading.Thread(target=lambda: results.append(reminders.send_due(app))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r.sent for r in results) == 8 and len(inbox.messages) == 8


def test_bad_mail_settings_say_what_to_fix_and_a_test_message_arrives(app: App) -> None:
    with smtp_server() as (inbox, port):
        c, _p = _clinic(app, port)
        with pytest.raises(InvalidInput) as e:
            reminders.set_mail(
                app, c.actor("owner"), {"host": "", "port": "99999", "sender": "nobody", "reminder_hours": "500"}
            )
        assert {pr.field for pr in e.value.problems} == {"host", "port", "sender", "reminder_hours"}
        reminders.send_test(app, c.actor("owner"), "owner@clinic.example")
        assert str(inbox.messages[-1]["Subject"]).strip().startswith("sotchart: test message")
    with pytest.raises(InvalidInput, match="did not take the message"):
        reminders.send_test(app, c.actor("owner"), "owner@clinic.example")  # the server is gone now
    assert app.clock() - MONDAY_8 < timedelta(seconds=1)
