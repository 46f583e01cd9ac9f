"""Clinical vignettes: one per category, per red-flag group and with SOT findings beside safety findings."""

from __future__ import annotations

from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.protocol.pack import ProtocolPack
from tests.domain.protocol.exams import exam, post, pre


def test_category_one_locked_pelvis_right_short_leg(pack: ProtocolPack) -> None:
    e = exam(
        pre("posture-pelvis", "locked"),
        pre("leg-length-prone", "short", side="right", mm=5),
        pre("heel-tension", side="right", grade=3),
        pre("first-rib-motion"),
        post("leg-length-prone", "even"),
        post("heel-tension", side="right"),
        treatment={
            "spinal_regions": ["pelvic"],
            "blocks": [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}],
            "procedures": ["blocking"],
        },
        confirmed_category={"category": 1, "side": "right"},
    )
    r = evaluate(e, pack)
    assert r["categories"]["1"]["count"] == 4 and r["categories"]["1"]["side"] == "right"
    assert r["conflicts"] == []
    assert r["blocking"]["template"] == "cat1-right-short-leg"
    assert r["recheck_summary"]["resolved"] == 2
    assert r["coding"]["cpt_spinal"] == "98940"
    assert r["safety"]["action"] == "clear"


def test_category_two_slip_on_the_left(pack: ProtocolPack) -> None:
    e = exam(
        pre("posture-pelvis", "unstable"),
        pre("first-rib-tubercle-tender", side="left"),
        pre("inguinal-tender", side="left"),
        pre("arm-fossa", side="left", location="upper"),
        pre("tmj"),
        confirmed_category={"category": 2, "side": "left"},
    )
    r = evaluate(e, pack)
    assert r["categories"]["2"]["count"] == 5 and r["categories"]["2"]["side"] == "left"
    assert r["blocking"] is None and "supine" in r["blocking_reason"]


def test_category_three_antalgic_with_sciatica(pack: ProtocolPack) -> None:
    e = exam(
        pre("posture-pelvis", "antalgic", side="right"),
        pre("sciatica", side="right"),
        pre("psoas-tender", side="right"),
        confirmed_category={"category": 3, "side": "right"},
    )
    r = evaluate(e, pack)
    assert r["categories"]["3"]["side"] == "right" and r["categories"]["3"]["count"] == 3
    assert r["blocking"] is None and "prone" in r["blocking_reason"]


def test_mixed_indicators_are_a_conflict_the_clinician_resolves(pack: ProtocolPack) -> None:
    r = evaluate(
        exam(
            pre("posture-pelvis", "locked"),
            pre("inguinal-tender", side="left"),
            pre("heel-tension", side="right"),
            pre("leg-length-prone", "short", side="left"),
        ),
        pack,
    )
    kinds = [c["kind"] for c in r["conflicts"]]
    assert kinds == ["category", "side"]
    assert "NOT FOUND" in r["conflicts"][0]["resolution"]
    assert r["confirmed_category"] is None  # the engine never picks


def test_cauda_equina_overrides_a_textbook_category_one(pack: ProtocolPack) -> None:
    r = evaluate(
        exam(
            pre("posture-pelvis", "locked"),
            pre("leg-length-prone", "short", side="right"),
            history={"red_flags": ["urinary-retention", "saddle-anaesthesia"]},
            confirmed_category={"category": 1, "side": "right"},
        ),
        pack,
    )
    assert r["safety"]["action"] == "emergency-referral"
    assert {f["group"] for f in r["safety"]["flags"]} == {"cauda-equina"}


def test_vertebrobasilar_signs_in_a_dizzy_patient(pack: ProtocolPack) -> None:
    r = evaluate(exam(history={"red_flags": ["dizziness", "diplopia", "dysarthria"]}), pack)
    assert r["safety"]["action"] == "emergency-referral"
    assert r["safety"]["flags"][0]["group"] == "cervical-artery"
    assert r["safety"]["flags"][-1]["action"] == "caution"


def test_dizziness_alone_calls_for_screening_not_referral(pack: ProtocolPack) -> None:
    assert evaluate(exam(history={"red_flags": ["dizziness"]}), pack)["safety"]["action"] == "caution"


def test_aneurysm_fracture_malignancy_infection(pack: ProtocolPack) -> None:
    cases = {
        "pulsatile-abdominal-mass": "emergency-referral",
        "major-trauma": "refer-before-treatment",
        "history-of-cancer": "refer-before-treatment",
        "fever": "refer-before-treatment",
    }
    for code, action in cases.items():
        assert evaluate(exam(history={"red_flags": [code]}), pack)["safety"]["action"] == action, code


def test_anticoagulated_elderly_patient_is_a_caution_with_both_reasons(pack: ProtocolPack) -> None:
    r = evaluate(exam(patient={"age": 78}, history={"conditions": ["anticoagulant-therapy", "osteoporosis"]}), pack)
    assert r["safety"]["action"] == "caution"
    assert {f["code"] for f in r["safety"]["flags"]} == {"anticoagulant-therapy", "osteoporosis", "age-over"}
