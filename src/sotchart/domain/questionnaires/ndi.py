"""Neck Disability Index: 10 items scored 0–5, total 0–50 (× 2 for a percentage). Scoring rule only; the
item text is copyrighted (H. Vernon) and loaded from the clinic's own file."""

from __future__ import annotations

from collections.abc import Sequence

from sotchart.domain.questionnaires.base import Answer, Band, Instrument, Score, check_items


def score(answers: Sequence[Answer]) -> Score:
    items = check_items("ndi", answers, 10, 0, 5, allow_missing=False)
    total = sum(a for a in items if a is not None)
    return Score("ndi", total, total * 2, INSTRUMENT.band_of(total), 10)


INSTRUMENT = Instrument(
    code="ndi",
    name="Neck Disability Index",
    version="1",
    scoring_version="1",
    licence="licensed",
    lower_is_better=True,
    mcid=15,
    mcid_note="7.5 of 50 points (15 percentage points), Young et al., Spine J 2009; MDC90 about 5 of 50 (Stratford).",
    source="Vernon, JMPT 2008; Young et al., Spine J 2009",
    score=score,
    # Vernon's bands on the 0–50 total; background knowledge awaiting a source.
    bands=(
        Band(0, 4, "no disability"),
        Band(5, 14, "mild"),
        Band(15, 24, "moderate"),
        Band(25, 34, "severe"),
        Band(35, 50, "complete"),
    ),
)
