"""The front desk takes blood pressure and pulse before the clinician comes in; the rest of the visit stays
the clinician's, and a reading saved from the desk's screen clears nothing the clinician recorded."""

from __future__ import annotations

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.support import web


def test_the_desk_records_vitals_and_nothing_else(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"])
    page = web.html(desk.get(f"/visits/{v.id}"))
    assert page.select_one("#desk-vitals-note") is not None
    assert page.select_one("#step-indicators") is None and page.select_one("#step-note") is None
    token = web.csrf(desk)
    r = desk.post(
        f"/visits/{v.id}/act",
        data={"csrf_token": token, "op": "vitals", "systolic": "186", "diastolic": "100", "pulse": "80"},
    )
    assert r.status_code == 303
    doc = charting.open_record(app, c.actor("clinician"), v.id).document
    assert doc["vitals"]["systolic"] == 186
    # A recheck after rest is the desk's too; the first reading stays in the record.
    r = desk.post(
        f"/visits/{v.id}/act", data={"csrf_token": token, "op": "vitals-recheck", "systolic": "150", "diastolic": "92"}
    )
    assert r.status_code == 303
    assert charting.open_record(app, c.actor("clinician"), v.id).document["vitals"]["rechecks"][0]["systolic"] == 150
    for op, extra in (("pain", {"pain": "4"}), ("history", {"red_flags": "fever"}), ("add-block", {"site": "pelvic"})):
        refused = desk.post(f"/visits/{v.id}/act", data={"csrf_token": token, "op": op, **extra})
        assert refused.status_code == 403, op


def test_a_reading_saved_without_the_symptom_boxes_keeps_the_symptoms(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    clinician = c.actor("clinician")
    charting.act(app, clinician, v.id, "vitals", {"systolic": "130", "diastolic": "85", "symptoms": "chest-pain"}, None)
    record = charting.act(app, c.actor("assistant"), v.id, "vitals", {"systolic": "130", "diastolic": "85"}, None)
    assert record.document["vitals"]["symptoms"] == ["chest-pain"]
