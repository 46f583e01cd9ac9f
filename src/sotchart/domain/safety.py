"""The safety gate that runs before any care: red flags, contraindications, pregnancy, age, blood pressure.
Nothing SOT-specific enters here, so no SOT finding can lower a safety action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sotchart.domain.protocol.exam import Exam
from sotchart.domain.protocol.pack import ProtocolPack, Provenance
from sotchart.domain.vocabulary import SAFETY_ACTIONS

SEVERITY = {action: rank for rank, action in enumerate(SAFETY_ACTIONS)}  # 0 is most severe


@dataclass(frozen=True)
class BPThresholds:
    """When blood pressure changes the safety action; a clinic setting, defaulting to the pack's values."""

    crisis_systolic_above: int = 180
    crisis_diastolic_above: int = 120


@dataclass(frozen=True)
class SafetyFlag:
    code: str
    group: str
    action: str
    reason: str
    prov: Provenance

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "group": self.group,
            "action": self.action,
            "reason": self.reason,
            "source": self.prov.cite(),
        }


def bp_category(systolic: int, diastolic: int) -> str:
    """ACC/AHA 2017 bands (kept in 2025); the higher of the two readings decides."""
    if systolic > 180 or diastolic > 120:
        return "hypertensive-crisis"
    if systolic >= 140 or diastolic >= 90:
        return "stage-2"
    if systolic >= 130 or diastolic >= 80:
        return "stage-1"
    if systolic >= 120:
        return "elevated"
    return "normal"


def most_severe(actions: list[str]) -> str:
    return min(actions, key=lambda a: SEVERITY[a], default="clear")


def screen(exam: Exam, pack: ProtocolPack, thresholds: BPThresholds) -> tuple[list[SafetyFlag], dict[str, Any]]:
    flags: list[SafetyFlag] = []
    for code in exam.red_flags:
        rf = pack.red_flags[code]
        group = pack.safety_groups[rf.group]
        flags.append(SafetyFlag(code, group.code, group.action, f"{rf.name} ({group.name})", rf.prov))
    for code in exam.conditions:
        c = pack.conditions[code]
        if c.kind == "absolute":
            why = f"{c.name}: absolute contraindication to manipulation (WHO)"
            if c.action == "emergency-referral":
                why += "; emergency referral"
            flags.append(SafetyFlag(code, "contraindication-absolute", c.action, why, c.prov))
        else:
            flags.append(
                SafetyFlag(
                    code,
                    "contraindication-relative",
                    c.action,
                    f"{c.name}: relative contraindication; adapt the technique (WHO)",
                    c.prov,
                )
            )
    if exam.pregnant and pack.pregnancy:
        flags.append(
            SafetyFlag("pregnancy", "pregnancy", pack.pregnancy.action, pack.pregnancy.name, pack.pregnancy.prov)
        )
    if exam.age is not None and pack.age and (exam.age > pack.age.over or exam.age < pack.age.under):
        which = f"over {pack.age.over}" if exam.age > pack.age.over else f"under {pack.age.under}"
        flags.append(
            SafetyFlag(
                "age-" + ("over" if exam.age > pack.age.over else "under"),
                "malignancy",
                pack.age.action,
                f"Age {which}: a malignancy red flag for back pain; screen further",
                pack.age.prov,
            )
        )
    bp = _blood_pressure(exam, pack, thresholds, flags)
    return flags, bp


def _blood_pressure(exam: Exam, pack: ProtocolPack, t: BPThresholds, flags: list[SafetyFlag]) -> dict[str, Any]:
    rules = pack.blood_pressure
    assert rules is not None
    if exam.systolic is None or exam.diastolic is None:
        flags.append(
            SafetyFlag(
                "bp-not-measured",
                "blood-pressure",
                "caution",
                "Blood pressure was not recorded; measure it before treatment",
                rules.prov,
            )
        )
        for code in exam.symptoms:
            flags.append(
                SafetyFlag(
                    code,
                    "blood-pressure",
                    "caution",
                    f"{pack.symptoms[code].name} recorded; measure blood pressure and assess",
                    pack.symptoms[code].prov,
                )
            )
        return {"category": None, "action": "not-measured"}
    category = bp_category(exam.systolic, exam.diastolic)
    crisis = exam.systolic > t.crisis_systolic_above or exam.diastolic > t.crisis_diastolic_above
    reading = f"{exam.systolic}/{exam.diastolic} mmHg"
    if crisis and exam.symptoms:
        names = ", ".join(pack.symptoms[s].name.lower() for s in exam.symptoms)
        flags.append(
            SafetyFlag(
                "bp-crisis-with-symptoms",
                "blood-pressure",
                rules.crisis_with_symptom_action,
                f"{reading} with {names}: possible hypertensive emergency; emergency services",
                rules.prov,
            )
        )
        action = rules.crisis_with_symptom_action
    elif crisis:
        flags.append(
            SafetyFlag(
                "bp-crisis",
                "blood-pressure",
                rules.crisis_action,
                f"{reading}: severe blood pressure; recheck after rest and refer before treatment",
                rules.prov,
            )
        )
        action = rules.crisis_action
    else:
        action = "clear"
        if category in ("stage-2", "hypertensive-crisis") and rules.stage2_action != "clear":
            flags.append(
                SafetyFlag(
                    "bp-stage-2",
                    "blood-pressure",
                    rules.stage2_action,
                    f"{reading}: stage 2 hypertension; advise follow-up with the primary care doctor",
                    rules.prov,
                )
            )
            action = rules.stage2_action
        for code in exam.symptoms:
            flags.append(
                SafetyFlag(
                    code,
                    "blood-pressure",
                    "caution",
                    f"{pack.symptoms[code].name} recorded without crisis-range blood pressure; assess",
                    pack.symptoms[code].prov,
                )
            )
    return {
        "category": category,
        "action": action,
        "systolic": exam.systolic,
        "diastolic": exam.diastolic,
        "pulse": exam.pulse,
        "thresholds": {"systolic_above": t.crisis_systolic_above, "diastolic_above": t.crisis_diastolic_above},
        "source": rules.prov.cite(),
    }
