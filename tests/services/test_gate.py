"""The safety gate holds: an emergency stays closed after its referral, a flag leaves only with a reason, an
absolute contraindication needs a second clinician, and blood pressure is kept as a series. Each test is one
defect found by trying the visit screen as a clinician would."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sotchart.domain.coding import MEDICARE_INITIAL_ELEMENTS
from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.services import charting
from sotchart.services.context import App
from tests.factories import full_record


def untreated(**changes: Any) -> dict[str, Any]:
    """A full record before any care: the screen and the pre-treatment findings only."""
    doc = full_record(**changes)
    doc["treatment"] = {}
    doc["findings"] = [f for f in doc["findings"] if f["phase"] == "pre"]
    return doc


def act(app: App, c: Any, v: Any, op: str, role: str = "clinician", **form: str) -> charting.VisitRecord:
    return charting.act(app, c.actor(role), v.id, op, form, None)


def compose(app: App, c: Any, v: Any) -> charting.VisitRecord:
    """Compose the note afresh: emptied first, since composing never replaces what was written."""
    for section in "SOAP":
        act(app, c, v, "text", name=section, value="")
    return act(app, c, v, "compose")


def test_an_emergency_stays_closed_after_the_referral(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    record = act(app, c, v, "history", red_flags="saddle-anaesthesia")
    assert record.gate.state == "emergency" and record.assessment["blocking"] is None
    with pytest.raises(Conflict, match="cannot be overridden"):
        charting.override_gate(
            app, c.actor("clinician"), v.id, "Patient insists, signs a waiver, low force only please"
        )
    record = charting.record_referral(app, c.actor("clinician"), v.id, "Emergency department", "Saddle anaesthesia")
    assert record.gate.state == "emergency-referred" and record.gate.blocked
    # Nothing of treatment can be charted now: not a region, not a block, not a recheck, not by a whole save.
    for op, form in (
        ("toggle", {"field": "spinal_regions", "code": "lumbar"}),
        ("add-block", {"site": "iliac-crest", "side": "left"}),
        ("finding", {"code": "heel-tension", "phase": "post", "value": "negative", "side": "right"}),
    ):
        with pytest.raises(Conflict, match="safety gate is closed"):
            act(app, c, v, op, **form)
    treated = copy.deepcopy(record.document)
    treated["treatment"] = {"spinal_regions": ["lumbar"]}
    with pytest.raises(Conflict):
        charting.save_record(app, c.actor("clinician"), v.id, treated, record.revision)
    after = charting.open_record(app, c.actor("clinician"), v.id)
    assert after.revision == record.revision and after.assessment["coding"]["cpt_spinal"] is None
    # Its findings can no longer be withdrawn.
    with pytest.raises(Conflict, match="emergency referral is recorded"):
        act(app, c, v, "withdraw-flag", kind="red_flag", code="saddle-anaesthesia", reason="ticked by mistake, sorry")


def test_an_emergency_signs_only_with_its_referral(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = untreated(history={"red_flags": ["urinary-retention"], "conditions": []})
    record = charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    with pytest.raises(InvalidInput) as e:
        charting.sign(app, c.actor("clinician"), v.id, record.revision)
    assert any(p.field == "gate" and "emergency referral" in p.message for p in e.value.problems)
    record = charting.record_referral(app, c.actor("clinician"), v.id, "Emergency department", "Urinary retention")
    signed = charting.sign(app, c.actor("clinician"), v.id, record.revision)
    assert signed.visit["status"] == "signed"


def test_unticking_a_red_flag_does_not_reopen_the_gate(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    act(app, c, v, "history", red_flags="history-of-cancer")
    # The checkbox form sent without the flag: the flag stays.
    record = act(app, c, v, "history", red_flags="", conditions="")
    assert record.document["history"]["red_flags"] == ["history-of-cancer"] and record.gate.blocked
    # A whole save without it is refused, and says what to do.
    dropped = copy.deepcopy(record.document)
    dropped["history"] = {"red_flags": [], "conditions": []}
    with pytest.raises(InvalidInput) as e:
        charting.save_record(app, c.actor("clinician"), v.id, dropped, record.revision)
    assert "withdraw it with a reason" in e.value.problems[0].message
    with pytest.raises(InvalidInput):
        act(app, c, v, "withdraw-flag", kind="red_flag", code="history-of-cancer", reason="no")
    record = act(
        app,
        c,
        v,
        "withdraw-flag",
        kind="red_flag",
        code="history-of-cancer",
        reason="Ticked for the wrong patient: she has never had cancer",
    )
    assert record.document["history"]["red_flags"] == [] and not record.gate.blocked
    withdrawn = record.document["gate"]["withdrawn"]
    assert withdrawn[0]["code"] == "history-of-cancer" and withdrawn[0]["reason"].startswith("Ticked for the wrong")
    composed = compose(app, c, v)
    assert "Red flag withdrawn: History of cancer (Malignancy), by" in composed.document["note"]["P"]


def test_cauda_equina_as_a_condition_is_an_emergency(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    record = act(app, c, v, "history", conditions="cauda-equina-syndrome")
    assert record.gate.state == "emergency"
    with pytest.raises(Conflict, match="cannot be overridden"):
        charting.override_gate(app, c.actor("clinician"), v.id, "Known and stable for years, only gentle blocking")


def test_an_absolute_contraindication_needs_a_second_clinician(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    record = act(app, c, v, "history", conditions="internal-fixation")
    assert record.gate.state == "on-hold" and record.gate.absolute == ("internal-fixation",)
    # A referral alone does not lift an absolute contraindication.
    record = charting.record_referral(app, c.actor("clinician"), v.id, "Orthopaedic surgeon", "L4-5 fusion 2019")
    assert record.gate.state == "on-hold"
    with pytest.raises(InvalidInput):
        charting.override_gate(app, c.actor("clinician"), v.id, "Ten chars.")
    reason = "L4-5 fusion: cervical and thoracic care only, no lumbar or pelvic thrust; surgeon letter on file"
    record = charting.override_gate(app, c.actor("clinician"), v.id, reason)
    assert record.gate.state == "awaiting-confirmation" and record.gate.blocked
    with pytest.raises(Conflict, match="second clinician"):
        act(app, c, v, "confirm-override")
    record = act(app, c, v, "confirm-override", role="owner")
    assert record.gate.state == "overridden" and not record.gate.blocked
    assert record.document["gate"]["override"]["confirmed_by"].startswith("Owner ")


def test_a_new_holding_finding_closes_an_opened_gate(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    act(app, c, v, "history", red_flags="fever")
    record = charting.record_referral(app, c.actor("clinician"), v.id, "GP", "Fever with back pain: please assess")
    assert record.gate.state == "referred"
    record = act(app, c, v, "history", red_flags="major-trauma")
    assert record.gate.state == "on-hold"


def test_blood_pressure_rechecks_are_kept_as_a_series(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(vitals={}), 0)
    record = act(app, c, v, "vitals", systolic="192", diastolic="104", pulse="88")
    assert record.gate.state == "on-hold"
    # Typing a calmer reading over the crisis reading is refused; the crisis reading stays.
    with pytest.raises(InvalidInput) as e:
        act(app, c, v, "vitals", systolic="150", diastolic="90", pulse="80")
    assert e.value.problems[0].field == "vitals.recheck"
    record = act(app, c, v, "vitals-recheck", systolic="176", diastolic="98", pulse="80")
    assert record.document["vitals"]["systolic"] == 192
    assert [r["systolic"] for r in record.document["vitals"]["rechecks"]] == [176]
    # The newest reading is the one judged; the gate opens by the screen itself, not by an overwrite.
    assert record.assessment["blood_pressure"]["systolic"] == 176 and not record.gate.blocked
    composed = compose(app, c, v).document["note"]["O"]
    assert "BP 192/104 mmHg (hypertensive crisis)" in composed and "Rechecked after rest" in composed
    assert "176/98" in composed


def test_a_medicare_note_without_part_cannot_be_signed_as_active_care(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    doc = full_record(payer="medicare")
    doc["treatment"]["spinal_regions"] = ["lumbar"]
    # Every element Medicare asks of a first visit, so that PART is the one thing missing.
    doc["intake"] |= {k: "recorded" for k in MEDICARE_INITIAL_ELEMENTS if k.startswith(("history.", "plan."))}
    record = charting.save_record(app, c.actor("clinician"), v.id, doc, 0)
    assert "AT" not in record.assessment["coding"]["modifiers"]
    with pytest.raises(InvalidInput) as e:
        charting.sign(app, c.actor("clinician"), v.id, record.revision)
    assert "part" in {p.field for p in e.value.problems}


def test_the_template_does_not_code_blocking_as_manipulation(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    record = act(app, c, v, "use-template")
    assert record.document["treatment"]["blocks"] and "pelvic" not in record.document["treatment"].get(
        "spinal_regions", []
    )
    assert record.assessment["coding"]["cpt_spinal"] is None
    assert record.assessment["coding"]["compliance_review"] is True


def test_a_resolved_fibre_is_recorded_at_its_side(app: App, setting) -> None:  # type: ignore[no-untyped-def]
    c, _p, v = setting
    charting.save_record(app, c.actor("clinician"), v.id, untreated(), 0)
    for side in ("left", "right"):
        act(app, c, v, "finding", code="occipital-fiber", phase="pre", value="positive", side=side, line="2", area="6")
    # The recheck of the left fibre: "negative" carries no side of its own; the fibre's side is kept.
    record = act(
        app,
        c,
        v,
        "finding",
        code="occipital-fiber",
        phase="post",
        value="negative",
        pre_side="left",
        line="2",
        area="6",
    )
    rows = record.assessment["recheck"]
    assert [(r["pre"]["side"], r["change"]) for r in rows if r["code"] == "occipital-fiber"] == [("left", "resolved")]
    # The stored summary counts the same recheck as the engine: one of the two fibres rechecked and cleared.
    summary = record.visit
    assert summary["indicators_rechecked"] == sum(1 for r in rows if r["code"] != "")
    assert summary["indicators_cleared"] == record.assessment["recheck_summary"]["resolved"]
