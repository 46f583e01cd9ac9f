"""Patient-Specific Functional Scale: 3–5 activities the patient names, each 0 (unable) to 10 (as before);
the score is their average. Free to use; activities are kept per patient and re-rated each time."""

from __future__ import annotations

from collections.abc import Sequence

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.questionnaires.base import Answer, Instrument, Score, check_items


def score(answers: Sequence[Answer]) -> Score:
    if not isinstance(answers, list | tuple) or not 1 <= len(answers) <= 5:
        raise InvalidInput(
            "PSFS takes one rating per activity, for 1 to 5 activities (usually 3 to 5).",
            [FieldProblem("answers", "Give one rating from 0 to 10 for each activity.")],
        )
    ratings = check_items("psfs", answers, len(answers), 0, 10, allow_missing=False, whole=False)
    values = [r for r in ratings if r is not None]
    avg = sum(values) / len(values)
    return Score("psfs", avg, None, None, len(values))


INSTRUMENT = Instrument(
    code="psfs",
    name="Patient-Specific Functional Scale",
    version="1",
    scoring_version="1",
    licence="free",
    lower_is_better=False,
    mcid=2,
    mcid_note="MDC about 2 points for the average and 3 for one activity (Stratford et al. 1995); an MCID of "
    "about 2 for the average is background knowledge awaiting a source.",
    source="Stratford et al., Physiotherapy Canada 1995",
    score=score,
)
