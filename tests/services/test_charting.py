"""Charting a visit: autosave revisions, the safety gate, signing with what is missing, amendments."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import text

from sotchart.domain.errors import Conflict, Forbidden, InvalidInput, StaleVersion
from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.factories import full_record


def test_autosave_makes_revisions_and_a_stale_save_is_refused(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = full_record()
    r1 = charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    assert r1.revision == 1 and r1.assessment["blocking"]["template"] == "cat1-right-short-leg"
    r2 = charting.save_record(app, c.actor("clinician"), v.id, full_record(pain=4), 1)
    assert r2.revision == 2 and r2.document["pain"] == 4
    with pytest.raises(StaleVersion, match=r"Clinician .* saved this visit"):
        charting.save_record(app, c.actor("owner"), v.id, full_record(pain=9), 1)
    assert charting.open_record(app, c.actor("clinician"), v.id).document["pain"] == 4


def test_bad_entries_are_refused_and_the_last_save_stays(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, full_record(), 0)
    bad = full_record(treatment={"blocks": [{"site": "knee", "side": "left"}]})
    with pytest.raises(InvalidInput) as e:
        charting.save_record(app, c.actor("clinician"), v.id, bad, 1)
    assert e.value.problems[0].field == "treatment.blocks[0].site"
    with pytest.raises(InvalidInput) as e:
        charting.save_record(app, c.actor("clinician"), v.id, full_record(vitals={"systolic": 320, "diastolic": 80}), 1)
    assert e.value.problems[0].field == "vitals.systolic"
    record = charting.open_record(app, c.actor("clinician"), v.id)
    assert record.revision == 1 and record.document["treatment"]["blocks"][0]["site"] == "iliac-crest"


def test_sign_lists_what_is_missing(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    sparse = full_record(pain=None, vitals={}, note={"S": "", "O": "", "A": "", "P": ""})
    sparse["findings"] = [f for f in sparse["findings"] if f["phase"] == "pre"]
    charting.save_record(app, c.actor("clinician"), v.id, sparse, 0)
    with pytest.raises(InvalidInput) as e:
        charting.sign(app, c.actor("clinician"), v.id, 1)
    fields = {p.field for p in e.value.problems}
    assert {"vitals", "pain", "recheck", "note.S", "note.P"} <= fields
    sparse["intake"] = {}
    charting.save_record(app, c.actor("clinician"), v.id, sparse, 1)
    with pytest.raises(InvalidInput) as e:
        charting.sign(app, c.actor("clinician"), v.id, 2)
    assert {"intake.consent", "intake.history.symptoms"} <= {p.field for p in e.value.problems}


def test_safety_gate_blocks_until_override_then_signs(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    care = full_record(vitals={"systolic": 192, "diastolic": 104, "pulse": 88})
    crisis = copy.deepcopy(care)
    crisis["treatment"] = {}
    crisis["findings"] = [f for f in crisis["findings"] if f["phase"] == "pre"]
    record = charting.save_record(app, c.actor("clinician"), v.id, crisis, 0)
    assert record.gate.blocked and record.gate.action == "refer-before-treatment"
    # Charting care while the gate is closed is refused, and nothing is saved.
    with pytest.raises(Conflict, match="safety gate is closed"):
        charting.save_record(app, c.actor("clinician"), v.id, care, 1)
    with pytest.raises(InvalidInput):
        charting.override_gate(app, c.actor("clinician"), v.id, "ok, checked")
    with pytest.raises(Forbidden):
        charting.override_gate(app, c.actor("assistant"), v.id, "Assistant cannot override the safety gate at all")
    record = charting.override_gate(
        app, c.actor("clinician"), v.id, "Rechecked after 5 min rest: 168/96; GP informed by phone, low-force only"
    )
    assert not record.gate.blocked and record.gate.cleared_by == "override"
    # A later autosave cannot erase the override: only its own audited action writes it.
    again = charting.save_record(app, c.actor("clinician"), v.id, care, record.revision)
    assert again.gate.cleared_by == "override"
    signed = charting.sign(app, c.actor("clinician"), v.id, again.revision)
    assert signed.visit["status"] == "signed" and signed.visit["safety_action"] == "refer-before-treatment"


def test_emergency_and_referral(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = full_record(history={"red_flags": ["urinary-retention"], "conditions": []}, treatment={})
    doc["findings"] = [f for f in doc["findings"] if f["phase"] == "pre"]
    record = charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    assert record.gate.blocked and record.assessment["safety"]["action"] == "emergency-referral"
    record = charting.record_referral(
        app,
        c.actor("clinician"),
        v.id,
        "Emergency department, St Mary's",
        "Urinary retention with low back pain: possible cauda equina",
    )
    # The referral is recorded and treatment stays closed for this visit.
    assert record.gate.blocked and record.gate.state == "emergency-referred"


def test_signed_note_is_locked_and_an_amendment_keeps_the_original(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, full_record(), 0)
    signed = charting.sign(app, c.actor("clinician"), v.id, 1)
    with pytest.raises(Conflict):
        charting.save_record(app, c.actor("clinician"), v.id, full_record(pain=2), signed.revision)
    fixed = copy.deepcopy(full_record())
    fixed["note"]["P"] = "Blocking prone, 3 minutes; home exercises given."
    with pytest.raises(InvalidInput):
        charting.amend(app, c.actor("clinician"), v.id, fixed, "", signed.revision)
    amended = charting.amend(app, c.actor("clinician"), v.id, fixed, "Home exercises were omitted", signed.revision)
    assert amended.visit["status"] == "amended" and "home exercises" in amended.visit["note"]
    original = charting.revision_of(app, c.actor("clinician"), v.id, signed.revision)
    assert original["kind"] == "signed" and original["document"]["note"]["P"] == "Blocking prone."
    assert [h["kind"] for h in amended.history] == ["signed", "amendment"]
    with pytest.raises(Exception, match="never change"), app.db.transaction() as conn:
        conn.execute(text("UPDATE visit_revision SET document = '{}' WHERE visit_id = :v"), {"v": v.id})


def test_follow_up_offers_last_visits_findings_to_confirm_never_copies(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, full_record(), 0)
    charting.sign(app, c.actor("clinician"), v.id, 1)
    follow = factories.visit(app, c, p.id, kind="follow-up")
    record = charting.open_record(app, c.actor("clinician"), follow.id)
    assert record.document["findings"] == []  # nothing copied
    assert {s["code"] for s in record.suggestions} == {"posture-pelvis", "leg-length-prone", "heel-tension"}
    changed = full_record(pain=3)
    changed["findings"][1] = {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 2}
    saved = charting.save_record(app, c.actor("clinician"), follow.id, changed, 0)
    assert saved.suggestions == []
    assert "Leg length, prone: short right, 5 mm → short right, 2 mm" in saved.changes
    assert "pain 6/10 → 3/10" in saved.changes


def test_the_signed_note_carries_the_intake_screen_and_readings(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = full_record()
    doc["intake"] |= {"plan.frequency-duration": "2 a week for 4 weeks", "plan.goals": "Sit through a workday"}
    charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    signed = charting.sign(app, c.actor("clinician"), v.id, None).visit["note"]
    # The S/O/A/P the clinician wrote leave these out; the signed text carries them.
    for line in (
        "Complaint and the symptoms causing the visit: Low back pain after gardening.",
        "Visit frequency and duration: 2 a week for 4 weeks.",
        "Goals: Sit through a workday.",
        "Consent to examination and care: given in writing.",
        "BP 124/78 mmHg (elevated), pulse 70.",
        "Safety screen: no red flags or contraindications recorded.",
        # The care given, as the record holds it, whatever the Plan as written says.
        "Blocking: Iliac crest left, Greater trochanter right, 3 min; breathing: slow, full exhalation.",
    ):
        assert line in signed, line
    # Composed from the record, nothing is said twice.
    v2 = factories.visit(app, c, _p.id, kind="new-patient")
    charting.save_record(app, c.actor("clinician"), v2.id, {**doc, "note": {s: "" for s in "SOAP"}}, 0)
    composed = charting.act(app, c.actor("clinician"), v2.id, "compose", {}, None)
    note = charting.sign(app, c.actor("clinician"), v2.id, composed.revision).visit["note"]
    assert note.count("BP 124/78 mmHg") == 1 and "Record at signing:" not in note


def test_composing_fills_only_the_empty_sections(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = full_record(note={"S": "Typed by the clinician.", "O": "", "A": "", "P": ""})
    charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    note = charting.act(app, c.actor("clinician"), v.id, "compose", {}, None).document["note"]
    assert note["S"] == "Typed by the clinician." and "BP 124/78" in note["O"] and note["P"]
