"""sotchart's stable codes that the engine itself relies on (domain/vocabulary.md). A pack may add
codes; it may not drop these. A code is permanent once published."""

from __future__ import annotations

SIDES = ("left", "right", "bilateral")
PHASES = ("pre", "post")
PAYERS = ("medicare", "commercial", "cash")
SPINAL_REGIONS = ("cervical", "thoracic", "lumbar", "sacral", "pelvic")
EXTRASPINAL_REGIONS = ("head", "lower-extremity", "upper-extremity", "rib-cage", "abdomen")
REGIONS = SPINAL_REGIONS + EXTRASPINAL_REGIONS
ICD10_BY_REGION = {
    "head": "M99.00",
    "cervical": "M99.01",
    "thoracic": "M99.02",
    "lumbar": "M99.03",
    "sacral": "M99.04",
    "pelvic": "M99.05",
    "lower-extremity": "M99.06",
    "upper-extremity": "M99.07",
    "rib-cage": "M99.08",
    "abdomen": "M99.09",
}
POSITIONS = ("prone", "supine")
SAFETY_ACTIONS = ("emergency-referral", "refer-before-treatment", "caution", "clear")  # most severe first
BP_CATEGORIES = ("normal", "elevated", "stage-1", "stage-2", "hypertensive-crisis")

FINDING_CODES = (
    "posture-pelvis",
    "first-rib-motion",
    "first-rib-tubercle-tender",
    "inguinal-tender",
    "arm-fossa",
    "heel-tension",
    "leg-length-prone",
    "leg-length-supine",
    "compaction-test",
    "sciatica",
    "psoas-tender",
    "tmj",
    "occipital-fiber",
    "trapezius-fiber",
    "ts-line-point",
    "rc-factor",
    "cranial-finding",
    "part-pain",
    "part-asymmetry",
    "part-rom",
    "part-tissue",
)
RED_FLAG_CODES = (
    "saddle-anaesthesia",
    "urinary-retention",
    "faecal-incontinence",
    "anal-sphincter-laxity",
    "progressive-leg-weakness",
    "sudden-severe-headache",
    "horner-signs",
    "diplopia",
    "dysarthria",
    "dysphagia",
    "drop-attacks",
    "nystagmus",
    "ataxia",
    "pulsatile-tinnitus",
    "new-neurological-deficit",
    "pulsatile-abdominal-mass",
    "major-trauma",
    "minor-trauma-osteoporotic",
    "prolonged-corticosteroids",
    "history-of-cancer",
    "unexplained-weight-loss",
    "night-pain",
    "no-improvement-4-weeks",
    "fever",
    "iv-drug-use",
    "immunosuppression",
    "recent-bacterial-infection",
    "dizziness",
    "nausea",
    "numbness",
    "vaginal-bleeding",
    "preeclampsia-signs",
)
CONDITION_CODES = (
    "acute-fracture",
    "spinal-instability",
    "spinal-malignancy",
    "spinal-infection",
    "cauda-equina-syndrome",
    "spinal-cord-tumour",
    "arnold-chiari-malformation",
    "dens-hypoplasia",
    "disc-herniation-progressive-deficit",
    "anticoagulant-therapy",
    "bleeding-disorder",
    "osteoporosis",
    "hypermobility",
    "internal-fixation",
    "post-surgical-joint",
    "benign-bone-tumour",
)
SYMPTOM_CODES = (
    "chest-pain",
    "dyspnoea",
    "back-pain",
    "numbness-weakness",
    "vision-change",
    "speech-difficulty",
    "confusion",
)
BLOCK_SITES = ("iliac-crest", "greater-trochanter", "asis", "other")
GRADES = ("A", "B", "C", "D", "BK")
