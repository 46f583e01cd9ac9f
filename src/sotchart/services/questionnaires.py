"""Recording questionnaires for a patient, and each instrument's course against its baseline and MCID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound
from sotchart.domain.questionnaires import instrument, nrs
from sotchart.domain.questionnaires.base import Score
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import patients as patient_store
from sotchart.store import questionnaires as q_store
from sotchart.store import visits as visit_store


@dataclass(frozen=True)
class Course:
    """One instrument over time: every score, and the latest against the first (the baseline)."""

    instrument: str
    name: str
    points: list[dict[str, Any]]
    change: dict[str, Any] | None


def record(
    app: App,
    actor: Actor,
    patient_id: int,
    code: str,
    answers: Any,
    *,
    activities: Any = None,
    visit_id: int | None = None,
    answered_on: str = "",
) -> dict[str, Any]:
    inst = instrument(code)
    scored: Score = inst.score(answers)
    names: list[str] = []
    if code == "psfs":
        if (
            not isinstance(activities, list)
            or len(activities) != len(answers)
            or not all(isinstance(a, str) and a.strip() and len(a) <= 100 for a in activities)
        ):
            raise InvalidInput(
                "Name each PSFS activity the patient rated.",
                [FieldProblem("activities", "Give one activity (1 to 100 characters) per rating.")],
            )
        names = [a.strip() for a in activities]
    with unit(app, actor, Action.PATIENT_UPDATE, "questionnaire") as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        if visit_id is not None:
            v = visit_store.get(u.conn, u.clinic_id(), visit_id)
            if v is None or v["patient_id"] != patient_id:
                raise InvalidInput(
                    "That visit is not this patient's.",
                    [FieldProblem("visit_id", "Leave it out or use one of this patient's visits.")],
                )
        try:
            day = date.fromisoformat(answered_on) if answered_on else u.today()
        except ValueError as err:
            raise InvalidInput(
                "The date answered could not be read.", [FieldProblem("answered_on", "Use YYYY-MM-DD.")]
            ) from err
        if day > u.today():
            raise InvalidInput(
                "The date answered is in the future.", [FieldProblem("answered_on", "Use today or earlier.")]
            )
        rid = q_store.add(
            u.conn,
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            visit_id=visit_id,
            instrument=code,
            instrument_version=inst.version,
            scoring_version=inst.scoring_version,
            answers=list(answers),
            activities=names,
            score=scored.score,
            percent=scored.percent,
            band=scored.band,
            answered_on=day,
            actor_id=actor.user_id,
            now=u.now,
        )
        u.audit("questionnaire.create", "questionnaire_response", rid, patient_id=patient_id, detail=code)
        return {"id": rid, **scored.to_json(), "answered_on": day.isoformat()}


def courses(app: App, actor: Actor, patient_id: int) -> list[Course]:
    with unit(app, actor, Action.PATIENT_READ, "questionnaire", patient_id, read=True) as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        rows = q_store.for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id)
        u.audit("questionnaire.read", "patient", patient_id, patient_id=patient_id)
    by_code: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_code.setdefault(r["instrument"], []).append(r)
    out = []
    for code, items in by_code.items():
        inst = instrument(code)
        points = [
            {
                "answered_on": r["answered_on"].isoformat(),
                "score": r["score"],
                "percent": r["percent"],
                "band": r["band"],
            }
            for r in items
        ]
        change = None
        if len(items) > 1:
            first, last = (Score(code, r["score"], r["percent"], r["band"], 0) for r in (items[0], items[-1]))
            change = inst.compare(first, last)
            if code == "nrs-pain":
                change["meets_mcid"] = nrs.meets_mcid(first.score, last.score)
        out.append(Course(code, inst.name, points, change))
    return out
