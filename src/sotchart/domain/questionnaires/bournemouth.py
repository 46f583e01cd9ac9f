"""Bournemouth Questionnaire (back and neck): 7 items scored 0–10, total 0–70. Scoring rule only; the
licence of the item text was not found, so the text comes from the clinic's own file."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sotchart.domain.questionnaires.base import Answer, Instrument, Score, check_items


def _scorer(code: str) -> Callable[[Sequence[Answer]], Score]:
    def score(answers: Sequence[Answer]) -> Score:
        items = check_items(code, answers, 7, 0, 10, allow_missing=False)
        return Score(code, sum(a for a in items if a is not None), None, None, 7)

    return score


_NOTE = (
    "MCIC about 26 points in acute and 18 in subacute or chronic low back pain (Newell & Bolton, Spine 2010); "
    "sotchart uses 18 unless the episode is acute. No published severity bands."
)


def _instrument(code: str, region: str) -> Instrument:
    return Instrument(
        code=code,
        name=f"Bournemouth Questionnaire ({region})",
        version="1",
        scoring_version="1",
        licence="licensed",
        lower_is_better=True,
        mcid=18,
        mcid_note=_NOTE,
        source="Bolton & Breen, JMPT 1999; Newell & Bolton, Spine 2010",
        score=_scorer(code),
    )


BACK = _instrument("bq-back", "back")
NECK = _instrument("bq-neck", "neck")
