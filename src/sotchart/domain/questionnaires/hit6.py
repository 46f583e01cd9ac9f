"""HIT-6 (Headache Impact Test): 6 items answered never … always, scored 6, 8, 10, 11, 13; total 36–78.
Scoring rule only; the item text is licensed (QualityMetric) and loaded from the clinic's own file."""

from __future__ import annotations

from collections.abc import Sequence

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.questionnaires.base import Answer, Band, Instrument, Score

POINTS = {"never": 6, "rarely": 8, "sometimes": 10, "very-often": 11, "always": 13}


def score(answers: Sequence[Answer]) -> Score:
    if not isinstance(answers, list | tuple) or len(answers) != 6:
        raise InvalidInput("HIT-6 has 6 items.", [FieldProblem("answers", "Give exactly 6 answers in item order.")])
    problems, total = [], 0
    for i, a in enumerate(answers, start=1):
        if isinstance(a, str) and a in POINTS:
            total += POINTS[a]
        elif isinstance(a, int) and not isinstance(a, bool) and a in POINTS.values():
            total += a
        else:
            problems.append(
                FieldProblem(
                    f"answers[{i}]",
                    f"must be one of never, rarely, sometimes, very-often, always (or 6, 8, 10, 11, 13), not {a!r}",
                )
            )
    if problems:
        raise InvalidInput("Some HIT-6 answers need fixing.", problems)
    return Score("hit-6", total, None, INSTRUMENT.band_of(total), 6)


INSTRUMENT = Instrument(
    code="hit-6",
    name="Headache Impact Test (HIT-6)",
    version="1.1",
    scoring_version="1",
    licence="licensed",
    lower_is_better=True,
    mcid=5,
    mcid_note="The user guide suggests 5 points; between-group MIC −2.5 to −6 (Smelt 2014); about −8 in chronic "
    "tension-type headache (Castien 2012). Response points are background knowledge to verify.",
    source="Smelt et al. 2014; Castien et al. 2012",
    score=score,
    bands=(
        Band(36, 49, "little or no impact"),
        Band(50, 55, "some impact"),
        Band(56, 59, "substantial impact"),
        Band(60, 78, "severe impact"),
    ),
)
