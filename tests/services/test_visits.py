"""Visits: drafts change, signed notes never do, withdrawn visits stay on record."""

import pytest
from sqlalchemy import text

from sotchart.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from sotchart.services import charting, today, visits
from sotchart.services.context import App
from tests import factories


def test_draft_edit_sign_then_locked(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    v = visits.update_visit(app, c.actor("clinician"), v.id, {"complaint": "Low back pain, worse sitting"}, v.version)
    signed = visits.sign_visit(app, c.actor("clinician"), v.id, v.version)
    assert signed.status == "signed" and signed.signed_at is not None and "Better since last week" in signed.note
    with pytest.raises(Conflict, match="signed and locked"):
        visits.update_visit(app, c.actor("clinician"), v.id, {"complaint": "changed"}, None)
    assert "Better since last week" in visits.get_visit(app, c.actor("clinician"), v.id).note


def test_the_database_itself_refuses_to_change_a_signed_note(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    original = visits.sign_visit(app, c.actor("clinician"), v.id, None).note
    with pytest.raises(Exception, match="signed note never changes"), app.db.transaction() as conn:
        conn.execute(text("UPDATE visit SET note = 'tampered' WHERE id = :id"), {"id": v.id})
    assert visits.get_visit(app, c.actor("clinician"), v.id).note == original


def test_clinical_rows_cannot_be_deleted(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    with pytest.raises(Exception, match="never deleted"), app.db.transaction() as conn:
        conn.execute(text("DELETE FROM patient WHERE id = :id"), {"id": p.id})


def test_an_uncharted_visit_cannot_be_signed_through_the_api(app: App) -> None:
    # POST /api/v1/visits/{id}/sign once signed a visit that had only a note: no vitals, no gate, no checks.
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, note="S: better. O: fine. A: ok. P: same.")
    with pytest.raises(InvalidInput) as e:
        visits.sign_visit(app, c.actor("clinician"), v.id, None)
    assert {"vitals", "findings", "pain", "note.O"} <= {p.field for p in e.value.problems}
    assert visits.get_visit(app, c.actor("clinician"), v.id).status == "draft"


def test_entered_in_error_needs_a_reason_and_keeps_the_row(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, note="wrong patient")
    with pytest.raises(InvalidInput):
        visits.mark_entered_in_error(app, c.actor("clinician"), v.id, " ", None)
    w = visits.mark_entered_in_error(app, c.actor("clinician"), v.id, "Charted on the wrong patient", None)
    assert w.status == "entered-in-error" and w.status_reason == "Charted on the wrong patient"


def test_stale_version_is_refused(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    visits.update_visit(app, c.actor("clinician"), v.id, {"complaint": "first"}, v.version)
    with pytest.raises(StaleVersion):
        visits.update_visit(app, c.actor("clinician"), v.id, {"complaint": "second"}, v.version)
    # The visit's version is its one ETag: a record saved since the details were read makes them stale too.
    fresh = visits.get_visit(app, c.actor("clinician"), v.id)
    charting.save_record(app, c.actor("clinician"), v.id, {"pain": 3}, None)
    with pytest.raises(StaleVersion):
        visits.update_visit(app, c.actor("clinician"), v.id, {"complaint": "third"}, fresh.version)
    with pytest.raises(StaleVersion):
        charting.save_record(app, c.actor("clinician"), v.id, {"pain": 4}, None, expected_version=fresh.version)


def test_assistant_cannot_sign_and_other_clinic_cannot_see(app: App) -> None:
    a, b = factories.clinic_with_staff(app), factories.clinic_with_staff(app)
    p = factories.patient(app, a)
    v = factories.visit(app, a, p.id, note="x")
    with pytest.raises(Forbidden):
        visits.sign_visit(app, a.actor("assistant"), v.id, None)
    with pytest.raises(NotFound):
        visits.get_visit(app, b.actor("clinician"), v.id)


def test_future_visit_date_is_refused(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    with pytest.raises(InvalidInput) as e:
        factories.visit(app, c, p.id, visit_date="2999-01-01")
    assert e.value.problems[0].field == "visit_date"


def test_today_lists_the_days_visits_and_notes_unsigned_for_72_hours(app: App) -> None:
    from datetime import timedelta

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Todaylist")
    now = app.clock()
    app.clock = lambda: now - timedelta(hours=80)
    old = factories.visit(app, c, p.id)
    app.clock = lambda: now
    fresh = factories.visit(app, c, p.id)
    day = today.the_day(app, c.actor("assistant"))
    assert [v["id"] for v in day.visits] == [fresh.id]
    assert day.visits[0]["stage"] == "arrived"
    assert [v["id"] for v in day.overdue] == [old.id]
    with pytest.raises(Forbidden):
        today.the_day(app, c.actor("researcher"))


def test_a_second_start_on_one_day_opens_the_first_visit(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    episode = visits.start_episode(app, c.actor("clinician"), p.id, "Neck pain after a fall")
    first = visits.create_visit(app, c.actor("clinician"), p.id, {"kind": "follow-up"})
    # Started from the app, the visit is in the patient's episode, with its complaint: it counts in outcomes.
    assert first.episode_id == episode and first.complaint == "Neck pain after a fall"
    with pytest.raises(visits.VisitExists) as e:
        visits.create_visit(app, c.actor("clinician"), p.id, {"kind": "follow-up"})
    assert e.value.visit_id == first.id
    second = visits.create_visit(app, c.actor("clinician"), p.id, {"kind": "follow-up", "second_visit_today": "true"})
    assert second.id != first.id


def test_a_visit_can_be_a_re_examination_a_late_entry_or_a_new_episode(app: App) -> None:
    from datetime import timedelta

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    yesterday = (app.clock().date() - timedelta(days=1)).isoformat()
    late = visits.create_visit(
        app,
        c.actor("clinician"),
        p.id,
        {"kind": "re-examination", "visit_date": yesterday, "episode_id": "new", "complaint": "Low back pain"},
    )
    assert late.kind == "re-examination" and late.visit_date.isoformat() == yesterday and late.episode_id
    with pytest.raises(InvalidInput) as e:
        visits.create_visit(app, c.actor("clinician"), p.id, {"episode_id": "new", "complaint": " "})
    assert e.value.problems[0].field == "complaint"
