"""Numeric rating scale for pain, 0 (no pain) to 10 (worst imaginable); free to use; LOINC 72514-3."""

from __future__ import annotations

from collections.abc import Sequence

from sotchart.domain.questionnaires.base import Answer, Band, Instrument, Score, check_items

ITEMS = ("Pain now, from 0 (no pain) to 10 (worst pain imaginable)",)


def score(answers: Sequence[Answer]) -> Score:
    (value,) = check_items("nrs-pain", answers, 1, 0, 10, allow_missing=False)
    assert value is not None
    return Score("nrs-pain", value, None, INSTRUMENT.band_of(value), 1)


INSTRUMENT = Instrument(
    code="nrs-pain",
    name="Pain intensity (NRS 0–10)",
    version="1",
    scoring_version="1",
    licence="free",
    lower_is_better=True,
    mcid=2,
    mcid_note="2 points or 30% (Ostelo et al., Spine 2008; Farrar et al., Pain 2001); higher baselines need more.",
    source="Ostelo et al., Spine 2008; Farrar et al., Pain 2001",
    score=score,
    loinc="72514-3",
    # Commonly used cut-points, not from sotchart's sources: shown as a reading aid only.
    bands=(Band(0, 0, "none"), Band(1, 3, "mild"), Band(4, 6, "moderate"), Band(7, 10, "severe")),
)


def meets_mcid(baseline: float, now: float) -> bool:
    """Either 2 points or a 30% reduction from baseline."""
    drop = baseline - now
    return drop >= 2 or (baseline > 0 and drop / baseline >= 0.30)


def mcid_threshold(baseline: float) -> float:
    """The score at or below which pain has fallen by the MCID from this baseline (the easier of the two)."""
    return round(baseline - min(2.0, 0.3 * baseline), 1)
