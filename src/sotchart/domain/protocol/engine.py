"""`evaluate(exam)`: safety first, then category evidence, blocking, reflexes, recheck and coding.
Pure: the same exam and pack always give the same assessment, whatever order the findings came in."""

from __future__ import annotations

from typing import Any

from sotchart.domain.coding import code_visit, part
from sotchart.domain.protocol.blocking import blocking
from sotchart.domain.protocol.categories import category_evidence
from sotchart.domain.protocol.exam import Exam, parse_exam
from sotchart.domain.protocol.pack import ProtocolPack
from sotchart.domain.protocol.recheck import recheck
from sotchart.domain.protocol.reflexes import reflexes
from sotchart.domain.safety import SEVERITY, BPThresholds, most_severe, screen

DISCLAIMER = (
    "SOT categories, indicators and reflex maps are technique-protocol findings, not diagnoses. "
    "The clinician decides; the safety screen is never lowered by them."
)

EMERGENCY_NO_TEMPLATE = (
    "Emergency referral: treatment stays closed for this visit, so no block template is offered. "
    "Refer the patient; nothing is charted as given."
)


def evaluate(data: Any, pack: ProtocolPack, thresholds: BPThresholds | None = None) -> dict[str, Any]:
    exam = parse_exam(data, pack)
    return assess(exam, pack, thresholds or default_thresholds(pack))


def default_thresholds(pack: ProtocolPack) -> BPThresholds:
    bp = pack.blood_pressure
    return BPThresholds(bp.crisis_systolic_above, bp.crisis_diastolic_above) if bp else BPThresholds()


def assess(exam: Exam, pack: ProtocolPack, thresholds: BPThresholds) -> dict[str, Any]:
    flags, bp = screen(exam, pack, thresholds)
    flags.sort(key=lambda f: (SEVERITY[f.action], f.group, f.code))
    action = most_severe([f.action for f in flags])
    categories, conflicts = category_evidence(exam, pack)
    template: dict[str, Any] | None
    reason: str | None
    if action == "emergency-referral":
        # An emergency closes treatment for the visit: no template is offered and nothing is coded as given.
        template, reason = None, EMERGENCY_NO_TEMPLATE
    else:
        template, reason = blocking(exam, pack)
    rows, summary, not_rechecked = recheck(exam, pack)
    part_result = part(exam)
    seen_codes = {f.code for f in exam.findings} | set(exam.procedures)
    return {
        "pack": {"name": pack.name, "version": pack.version},
        "safety": {"action": action, "flags": [f.to_json() for f in flags]},
        "blood_pressure": bp,
        "categories": categories,
        "conflicts": conflicts,
        "confirmed_category": (
            {"category": exam.confirmed_category, "side": exam.confirmed_side} if exam.confirmed_category else None
        ),
        "blocking": template,
        "blocking_reason": reason,
        "reflexes": reflexes(exam, pack),
        "recheck": rows,
        "recheck_summary": summary,
        "not_rechecked": not_rechecked,
        "coding": code_visit(exam, part_result, emergency=action == "emergency-referral"),
        "part": part_result,
        "evidence": [
            {"id": n.id, "about": list(n.about), "text": n.text, "source": n.prov.cite()}
            for n in pack.evidence
            if set(n.about) & (seen_codes | {"category"})
        ],
        "not_found": sorted(
            {pack.indicators[c].not_found for c in seen_codes if c in pack.indicators and pack.indicators[c].not_found}
        ),
        "disclaimer": DISCLAIMER,
    }
