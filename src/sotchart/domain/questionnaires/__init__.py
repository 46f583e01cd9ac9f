"""Outcome questionnaires, one module per instrument: items (where free to ship), scoring, bands, MCID."""

from __future__ import annotations

from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.questionnaires import bournemouth, hit6, ndi, nrs, odi, psfs
from sotchart.domain.questionnaires.base import Instrument, Score

INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        nrs.INSTRUMENT,
        psfs.INSTRUMENT,
        odi.INSTRUMENT,
        ndi.INSTRUMENT,
        bournemouth.BACK,
        bournemouth.NECK,
        hit6.INSTRUMENT,
    )
}


def instrument(code: str) -> Instrument:
    if code not in INSTRUMENTS:
        raise InvalidInput(
            f"Unknown questionnaire '{code}'.", [FieldProblem("instrument", f"Use one of: {', '.join(INSTRUMENTS)}.")]
        )
    return INSTRUMENTS[code]


def _answers(payload: Any) -> Any:
    if not isinstance(payload, dict) or "answers" not in payload:
        raise InvalidInput(
            'The answers file must be {"answers": [...]}.',
            [FieldProblem("answers", "Put the answers in item order, null for a skipped item.")],
        )
    return payload["answers"]


def score_payload(code: str, payload: Any, baseline: Any = None) -> dict[str, Any]:
    """The JSON answer of `sotchart questionnaire score`: score, percent, band, and the change from baseline."""
    inst = instrument(code)
    now: Score = inst.score(_answers(payload))
    out = now.to_json()
    if baseline is not None:
        before = inst.score(_answers(baseline))
        out |= inst.compare(before, now)
        if code == "nrs-pain":
            out["meets_mcid"] = nrs.meets_mcid(before.score, now.score)
    return out
