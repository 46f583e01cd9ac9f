"""US coding from what was actually treated: CPT code numbers (never descriptor text), ICD-10-CM M99.0x,
Medicare's PART check and modifiers, and the elements a Medicare note must hold."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.exam import Exam
from sotchart.domain.vocabulary import EXTRASPINAL_REGIONS, ICD10_BY_REGION, SPINAL_REGIONS

PART_CODES = {"part-pain": "P", "part-asymmetry": "A", "part-rom": "R", "part-tissue": "T"}

# Medicare Benefit Policy Manual ch. 15 §240.1.2: what the initial and subsequent visit notes hold.
MEDICARE_INITIAL_ELEMENTS = (
    "history.symptoms",
    "history.family-history-if-relevant",
    "history.past-health",
    "history.mechanism",
    "history.quality-character",
    "history.onset-duration-intensity-frequency-location-radiation",
    "history.aggravating-relieving",
    "history.prior-interventions",
    "exam.part",
    "diagnosis.subluxation-level",
    "plan.frequency-duration",
    "plan.goals",
    "plan.objective-measures",
    "date-of-initial-treatment",
)
MEDICARE_FOLLOWUP_ELEMENTS = (
    "history.chief-complaint-review",
    "history.changes-since-last-visit",
    "exam.spinal-area",
    "exam.change-since-last-visit",
    "exam.treatment-effectiveness",
    "treatment.given",
)


def cpt_spinal(n_regions: int) -> str | None:
    """98940 for 1–2 spinal regions, 98941 for 3–4, 98942 for 5; several levels in one region count once."""
    if n_regions <= 0:
        return None
    if n_regions <= 2:
        return "98940"
    if n_regions <= 4:
        return "98941"
    return "98942"


def part(exam: Exam) -> dict[str, Any]:
    """PART: at least 2 of the 4 elements, one of them A or R, found in one spinal region before treatment.
    Pain at C5 and asymmetry at L4 are two half-findings, not PART (CMS BPM ch. 15 §240.1.2.2: the
    elements document a subluxation, which is at a level or region)."""
    found: dict[str, set[str]] = {}
    for f in exam.findings:
        if f.code in PART_CODES and f.phase == "pre" and f.value == "positive":
            found.setdefault(f.region or "unspecified", set()).add(PART_CODES[f.code])
    overall = set().union(*found.values()) if found else set()
    by_region = {r: {"met": part_met(els), "elements": sorted(els)} for r, els in sorted(found.items())}
    return {
        "met": any(r["met"] for r in by_region.values()),
        "regions_met": [r for r, res in by_region.items() if res["met"]],
        "elements": {e: e in overall for e in "PART"},
        "by_region": by_region,
        "rule": "at least 2 of P, A, R, T in one region, one of them A or R (or an X-ray within 12 months "
        "before or 3 after)",
    }


def part_met(elements: set[str]) -> bool:
    return len(elements) >= 2 and bool(elements & {"A", "R"})


# Blocking places the patient on wedges; whether that alone is "manipulation" in CPT's sense has no payer
# guidance, so sotchart never codes a region from blocks: only regions the clinician records as treated.
BLOCKS_ONLY_NOTE = (
    "Blocks were placed but the pelvic region is not recorded as manipulated; blocking alone is not coded "
    "as spinal manipulation (no payer guidance says it is: flag for compliance review)."
)


def code_visit(exam: Exam, part_result: dict[str, Any], *, emergency: bool = False) -> dict[str, Any]:
    if emergency:
        return {
            "spinal_regions": [],
            "extraspinal_regions": [],
            "cpt_spinal": None,
            "cpt_extraspinal": None,
            "icd10": [],
            "modifiers": [],
            "notes": ["Emergency referral: no treatment is coded at this visit."],
            "compliance_review": False,
        }
    spinal = [r for r in SPINAL_REGIONS if r in exam.spinal_regions]
    extraspinal = [r for r in EXTRASPINAL_REGIONS if r in exam.extraspinal_regions]
    notes: list[str] = []
    spinal_code = cpt_spinal(len(spinal))
    extra_code = "98943" if extraspinal else None
    modifiers: list[str] = []
    review = False
    if exam.blocks and "pelvic" not in spinal:
        notes.append(BLOCKS_ONLY_NOTE)
        review = True
    if exam.payer == "medicare":
        if spinal_code:
            if exam.care_type == "maintenance":
                modifiers.append("GA" if exam.abn_on_file else "GZ")
                notes.append("Medicare does not cover maintenance care: GA with an ABN on file, GZ without.")
            elif part_result["met"]:
                modifiers.append("AT")
            else:
                # AT says the care is active treatment of a documented subluxation; without PART it is not.
                notes.append(
                    "PART is not met in any one region: Medicare needs 2 of 4 elements in the same region, one "
                    "of them A or R, or an X-ray. AT is not added."
                )
        if extra_code:
            notes.append("Medicare covers only spinal manipulation (98940–98942); 98943 is not covered.")
    return {
        "spinal_regions": spinal,
        "extraspinal_regions": extraspinal,
        "cpt_spinal": spinal_code,
        "cpt_extraspinal": extra_code,
        "icd10": [{"code": ICD10_BY_REGION[r], "region": r} for r in spinal + extraspinal],
        "modifiers": modifiers,
        "notes": notes,
        "compliance_review": review,
    }


def missing_note_elements(present: set[str], initial_visit: bool) -> list[str]:
    required = MEDICARE_INITIAL_ELEMENTS if initial_visit else MEDICARE_FOLLOWUP_ELEMENTS
    return [e for e in required if e not in present]


def medicare_part_problem(exam_payer: str, coding: dict[str, Any], part_result: dict[str, Any], care_type: str) -> str:
    """Why a Medicare note with spinal manipulation cannot be signed as active treatment, or ""."""
    if exam_payer != "medicare" or not coding.get("cpt_spinal") or care_type == "maintenance":
        return ""
    if part_result.get("met"):
        return ""
    return (
        "Medicare active treatment needs PART met in one region: record 2 of P, A, R, T in the treated "
        "region, one of them A or R; or mark the care as maintenance (GA/GZ)."
    )
