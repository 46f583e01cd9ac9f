"""The clinician takes the tablet's intake into the visit rather than retyping it; until then, what the patient
answered holds back the charting of care and the signature. A patient's "yes" only adds to the screen."""

from __future__ import annotations

import pytest

from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.services import charting, intake_review
from sotchart.services.context import App
from tests import factories
from tests.support import web


def test_a_yes_on_the_tablet_holds_care_until_taken_and_then_closes_the_gate(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, sex="male")
    v = factories.visit(app, c, p.id, kind="new-patient")
    clinician = c.actor("clinician")
    charting.act(app, clinician, v.id, "text", {"name": "intake.history.mechanism", "value": "Lifting a box"}, None)
    factories.tablet_intake(
        app,
        c,
        p.id,
        yes=("saddle-anaesthesia", "anticoagulant-therapy"),
        history={"history.symptoms": "Back pain, worse sitting", "history.mechanism": "Picked up a heavy box"},
    )
    [waiting] = intake_review.for_visit(app, clinician, v.id)
    assert waiting.waiting and waiting.proposal.red_flags == ["saddle-anaesthesia"]
    # Care cannot be charted, nor the note signed, while the answers wait.
    with pytest.raises(Conflict, match="tablet wait for your review"):
        charting.act(app, clinician, v.id, "add-block", {"site": "pelvic", "side": "left"}, None)
    with pytest.raises(InvalidInput) as refused:
        charting.sign(app, clinician, v.id, None)
    assert [pr.field for pr in refused.value.problems] == ["tablet"]
    before = charting.open_record(app, clinician, v.id)
    record = intake_review.take_into_visit(app, clinician, v.id, waiting.id, before.revision)
    doc = record.document
    assert doc["history"]["red_flags"] == ["saddle-anaesthesia"]
    assert doc["history"]["conditions"] == ["anticoagulant-therapy"]
    assert record.assessment["safety"]["action"] == "emergency-referral" and record.gate.blocked
    # The patient's words fill the empty field and are added below what the clinician wrote.
    assert doc["intake"]["history.symptoms"] == "Back pain, worse sitting"
    assert doc["intake"]["history.mechanism"] == (
        "Lifting a box\n\nIn the patient's words (tablet): Picked up a heavy box"
    )
    assert doc["intake"]["consent"].startswith("given in writing on the patient's tablet, ")
    assert doc["intake"]["consent"].endswith("signed with a drawn signature")
    [taken] = intake_review.for_visit(app, clinician, v.id)
    assert not taken.waiting and taken.taken_by
    with pytest.raises(Conflict, match="already taken"):
        intake_review.take_into_visit(app, clinician, v.id, waiting.id, None)
    assert intake_review.signature_png(app, clinician, waiting.id).startswith(b"\x89PNG")


def test_taking_the_intake_never_clears_what_the_clinician_recorded(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, sex="female")
    v = factories.visit(app, c, p.id)
    clinician = c.actor("clinician")
    charting.act(app, clinician, v.id, "history", {"red_flags": "fever", "pregnant": "true"}, None)
    factories.tablet_intake(app, c, p.id)  # every answer "no", pregnancy too
    [waiting] = intake_review.for_visit(app, clinician, v.id)
    assert not waiting.proposal.safety_relevant
    # All "no": care may be charted before the review, but the note waits for it.
    charting.act(app, clinician, v.id, "vitals", {"systolic": "120", "diastolic": "80"}, None)
    record = intake_review.take_into_visit(app, clinician, v.id, waiting.id, None)
    assert record.document["history"]["red_flags"] == ["fever"] and record.document["pregnant"] is True


def test_a_form_cannot_write_the_tablets_consent_into_a_record(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id, kind="new-patient")
    staff = web.client(app)
    web.sign_in(staff, c.emails["clinician"])
    forged = '{"red_flags": [], "conditions": [], "pregnant": false, "history": {}, "consent": "given in writing"}'
    r = staff.post(f"/visits/{v.id}/act", data={"csrf_token": web.csrf(staff), "op": "take-intake", "intake": forged})
    assert r.status_code == 422 and "Unknown action" in r.text
    assert not (charting.open_record(app, c.actor("clinician"), v.id).document.get("intake") or {}).get("consent")
