"""De-identification for practice-based research by the HIPAA Safe Harbor method (45 CFR 164.514(b)(2)):
what each of the 18 identifiers becomes, how ages and dates are kept, and the data dictionary of the
research export. Pure rules; the service reads the records and writes the files."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sotchart.domain.patients import age_on

AGE_CAP = 90  # Safe Harbor: ages over 89 are one category, "90 or older"
MAX_SHIFT_DAYS = 182
RARE_BELOW = 5  # a complaint category shared by fewer patients than this is exported as "other"

# What happens to each identifier of §164.514(b)(2)(i), in the order the rule lists them.
SAFE_HARBOR: tuple[tuple[str, str], ...] = (
    ("Names", "Not exported (patients, relatives, staff: clinicians become clinician-1, clinician-2, ...)."),
    ("Geographic subdivisions smaller than a state", "Not exported: the address is left out whole."),
    (
        "Dates (except year) and ages over 89",
        "Birth date left out; age at the first visit in years, 90 meaning 90 or older. Every other date of a "
        "patient is moved by the same secret number of days (up to ±182, never stored), keeping the intervals; "
        "--strict keeps only years and day numbers since the first visit.",
    ),
    ("Telephone numbers", "Not exported."),
    ("Fax numbers", "Not exported."),
    ("Email addresses", "Not exported."),
    ("Social security numbers", "Not recorded by sotchart."),
    ("Medical record numbers", "Chart numbers and previous-system numbers are not exported."),
    ("Health plan beneficiary numbers", "Not exported (the payer type is not exported either)."),
    ("Account numbers", "Not recorded by sotchart."),
    ("Certificate / licence numbers", "Not recorded by sotchart."),
    ("Vehicle identifiers", "Not recorded by sotchart."),
    ("Device identifiers", "Not recorded by sotchart."),
    ("Web URLs", "Not exported (no free text is exported)."),
    ("IP addresses", "Not exported (the audit log is not part of the export)."),
    ("Biometric identifiers", "Not recorded by sotchart."),
    ("Full-face photographs", "Not recorded by sotchart."),
    (
        "Any other unique identifying number or code",
        "Record numbers are replaced by numbers made for this export, in shuffled order; notes, alerts and "
        "other free text are not exported; a complaint is exported only as its body region from a fixed list, "
        "and as 'other' when fewer than 5 patients share it.",
    ),
)


def safe_age(birth: date, day: date) -> int:
    return min(max(age_on(birth, day), 0), AGE_CAP)


def new_shift(rng: random.Random) -> int:
    """A patient's date shift in days: never zero, so no date is exported as it was."""
    return rng.choice([d for d in range(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS + 1) if d != 0])


# A complaint as a researcher sees it: a body region from a fixed list, never the text as typed (which
# can hold a name or a phone number). First match wins; anything else is "other".
COMPLAINT_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("headache", ("headache", "migraine", "head ache")),
    ("jaw", ("tmj", "jaw", "temporomandibular")),
    ("neck", ("neck", "cervical", "whiplash")),
    ("sciatica or leg pain", ("sciatica", "leg pain", "radiating", "calf", "thigh")),
    ("low back", ("low back", "lower back", "lumbar", "lumbago", "back pain", "backache")),
    ("mid back", ("mid back", "middle back", "upper back", "thoracic", "rib")),
    ("pelvis or hip", ("pelvi", "hip", "sacroiliac", "si joint", "sacrum", "coccyx", "tailbone")),
    ("shoulder or arm", ("shoulder", "arm", "elbow", "wrist", "hand")),
    ("knee or foot", ("knee", "ankle", "foot", "heel")),
)


def complaint_category(text: str) -> str:
    t = " ".join(text.casefold().split())
    for category, words in COMPLAINT_CATEGORIES:
        if any(w in t for w in words):
            return category
    return "other"


def common_values(values: Iterable[str], at_least: int = RARE_BELOW) -> set[str]:
    """The values seen often enough to export as they are (compared trimmed and case-blind)."""
    counts = Counter(v.strip().casefold() for v in values)
    return {v for v, n in counts.items() if n >= at_least}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int | float | text | date
    meaning: str


def _dated(prefix: str, what: str) -> list[Column]:
    return [
        Column(f"{prefix}_date", "date", f"{what}, moved by the patient's secret shift (left out with --strict)."),
        Column(f"{prefix}_year", "int", f"The year of {what.lower()}, as it was."),
        Column(f"{prefix}_day", "int", f"Days from the patient's first visit to {what.lower()} (first visit = 0)."),
    ]


_VISIT = Column("visit", "int", "Visit number in this export (visits.visit).")
_PATIENT = Column("patient", "int", "Patient number in this export (patients.patient).")

DICTIONARY: dict[str, list[Column]] = {
    "patients": [
        _PATIENT,
        Column("sex", "text", "female, male, other or unknown, as registered."),
        Column("age_at_first_visit", "int", "Age in whole years at the first signed visit; 90 means 90 or older."),
    ],
    "episodes": [
        Column("episode", "int", "Episode-of-care number in this export."),
        _PATIENT,
        Column(
            "complaint",
            "text",
            "The complaint's body region from a fixed list (never the text as typed); 'other' when fewer than 5 "
            "patients share it.",
        ),
        *_dated("start", "Start of the episode"),
    ],
    "visits": [
        _VISIT,
        _PATIENT,
        Column("episode", "int", "Episode number (episodes.episode), empty when none."),
        *_dated("visit", "Visit date"),
        Column("kind", "text", "new-patient, follow-up or re-examination."),
        Column("status", "text", "signed, or amended (the amended note's values are exported)."),
        Column("clinician", "text", "The clinician, as clinician-1, clinician-2, ... in this export."),
        Column("category", "int", "SOT category confirmed by the clinician (1, 2 or 3), empty when none."),
        Column("category_side", "text", "left, right or bilateral."),
        Column("pain", "int", "Pain on the 0–10 numeric rating scale (LOINC 72514-3) at the visit."),
        Column(
            "safety_action",
            "text",
            "The safety screen's result: clear, caution, refer-before-treatment, emergency-referral.",
        ),
        Column("indicators_pre", "int", "Positive indicators before treatment."),
        Column("indicators_post", "int", "Positive indicators at the recheck."),
        Column("indicators_rechecked", "int", "Of the positive indicators, how many were rechecked."),
        Column("indicators_cleared", "int", "Of the positive indicators, how many were normal at the recheck."),
    ],
    "findings": [
        _VISIT,
        Column("phase", "text", "pre (before treatment) or post (the recheck)."),
        Column("code", "text", "Indicator code of sotchart's SOT vocabulary (docs/catalogue.md)."),
        Column("value", "text", "The finding, one of the indicator's values."),
        Column("side", "text", "left, right or bilateral, where the indicator has a side."),
        Column("location", "text", "Where the indicator has locations (e.g. upper, lower)."),
        Column("grade", "int", "Grade, where the indicator is graded."),
        Column("mm", "float", "Millimetres, where the indicator is measured."),
        Column("region", "text", "Body region, where recorded."),
        Column("level", "text", "Vertebral level, where recorded."),
        Column("line", "int", "Occipital fibre line."),
        Column("area", "int", "Occipital fibre area."),
        Column("point", "text", "Fibre or reflex point."),
    ],
    "treatments": [_VISIT, Column("kind", "text", "Kind of care given, by the protocol pack's procedure code.")],
    "diagnoses": [
        _VISIT,
        Column("code", "text", "ICD-10-CM code."),
        Column("source", "text", "region (from the regions treated) or secondary (added by the clinician)."),
    ],
    "questionnaires": [
        _PATIENT,
        Column(
            "instrument",
            "text",
            "Questionnaire code (nrs-pain, psfs, odi, ndi, bq-back, bq-neck, hit-6).",
        ),
        Column("instrument_version", "text", "Version of the instrument answered."),
        Column("scoring_version", "text", "Version of sotchart's scoring rule."),
        *_dated("answered", "Day answered"),
        Column("score", "float", "Score by the instrument's published rule."),
        Column("percent", "float", "Percent score, where the instrument has one."),
        Column("band", "text", "The instrument's band for the score."),
    ],
    "examinations": [
        _VISIT,
        Column("examiner", "text", "The examiner, as clinician-N; the visit's own examiner is marked 'visit'."),
        Column("item", "text", "Indicator code (with :location) or 'category'."),
        Column("rating", "text", "The examiner's finding: value with side when positive, or category with side."),
    ],
}


def strict(columns: list[Column]) -> list[Column]:
    """Only years and day numbers: the strict reading of Safe Harbor, where no date element but the year stays."""
    return [c for c in columns if c.kind != "date"]
