"""The code systems the FHIR export binds to: public ones (LOINC, SNOMED CT, ICD-10-CM, HL7 terminology)
and sotchart's own, published as CodeSystem and ValueSet resources in every export."""

from __future__ import annotations

BASE = "https://sotchart.org/fhir"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
US_CORE_DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
# sotchart's own extensions: the visit's record as sotchart keeps it (so an import loses nothing the
# FHIR resources cannot say), and the version of the scoring rule behind a questionnaire score.
VISIT_RECORD = f"{BASE}/StructureDefinition/visit-record"
SCORING_VERSION = f"{BASE}/StructureDefinition/scoring-version"


def ours(name: str) -> str:
    """The canonical URL of one of sotchart's code systems."""
    return f"{BASE}/CodeSystem/{name}"


def value_set(name: str) -> str:
    return f"{BASE}/ValueSet/{name}"


# sotchart's code systems: name → (title, what it codes). Their concepts come from the vocabulary and
# the protocol pack when an export is made.
OWN_SYSTEMS = {
    "sot-finding": ("SOT examination findings", "The indicators of the SOT examination, by the pack's codes."),
    "sot-finding-value": ("SOT finding values", "What an indicator was found to be (positive, short, locked, ...)."),
    "sot-attribute": ("SOT finding attributes", "The parts of a finding: phase, side, location, grade, level."),
    "sot-phase": ("Examination phase", "Before treatment (pre) or at the recheck after it (post)."),
    "sot-side": ("Side", "left, right or bilateral."),
    "sot-category": ("SOT category", "The SOT category confirmed by the clinician: 1, 2 or 3."),
    "sot-procedure": ("SOT procedures", "Care given, by the protocol pack's procedure codes."),
    "sot-visit-kind": ("Visit kind", "new-patient, follow-up or re-examination."),
    "sot-questionnaire": ("Questionnaires", "The questionnaires sotchart scores, by sotchart's codes."),
}

PHASES = {"pre": "Before treatment", "post": "At the recheck after treatment"}
SIDES = {"left": "Left", "right": "Right", "bilateral": "Both sides"}
CATEGORIES = {"1": "SOT category I", "2": "SOT category II", "3": "SOT category III"}
VISIT_KINDS = {"new-patient": "New patient", "follow-up": "Follow-up", "re-examination": "Re-examination"}
ATTRIBUTES = {
    "phase": "Phase",
    "side": "Side",
    "location": "Location",
    "grade": "Grade",
    "mm": "Millimetres",
    "region": "Region",
    "level": "Vertebral level",
    "line": "Occipital fibre line",
    "area": "Occipital fibre area",
    "point": "Point",
    "category": "Category confirmed",
}

# Public codes used by the mapper, with their display text.
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
HEART_RATE = ("8867-4", "Heart rate")
PAIN = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
PROGRESS_NOTE = ("11506-3", "Progress note")
CHIROPRACTIC_MANIPULATION = ("46947000", "Chiropractic manipulation")
# Care that is chiropractic manipulation in SNOMED CT's sense; the rest is coded in sot-procedure only.
MANIPULATION_PROCEDURES = ("spinal-adjustment",)
