"""Oswestry Disability Index v2.1a: 10 sections scored 0–5. Scoring rule only; the item text is licensed
(Mapi Research Trust / ePROVIDE) and loaded from the clinic's own file."""

from __future__ import annotations

from collections.abc import Sequence

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.questionnaires.base import Answer, Band, Instrument, Score, check_items


def score(answers: Sequence[Answer]) -> Score:
    """Sum ÷ (5 × sections answered) × 100: a skipped section leaves the denominator."""
    items = check_items("odi", answers, 10, 0, 5, allow_missing=True)
    answered = [a for a in items if a is not None]
    if not answered:
        raise InvalidInput("No ODI section is answered.", [FieldProblem("answers", "Answer at least one section.")])
    raw = sum(answered)
    percent = raw / (5 * len(answered)) * 100
    return Score("odi", raw, percent, INSTRUMENT.band_of(round(percent)), len(answered))


INSTRUMENT = Instrument(
    code="odi",
    name="Oswestry Disability Index",
    version="2.1a",
    scoring_version="1",
    licence="licensed",
    lower_is_better=True,
    mcid=10,
    mcid_note="About 10 percentage points (Ostelo consensus); 12.8 in Copay 2008.",
    source="RehabMeasures (Shirley Ryan AbilityLab) ODI page; Roland & Fairbank, Spine 2000",
    score=score,
    bands=(
        Band(0, 20, "minimal disability"),
        Band(21, 40, "moderate disability"),
        Band(41, 60, "severe disability"),
        Band(61, 80, "crippled"),
        Band(81, 100, "bed-bound or exaggerating"),
    ),
)
