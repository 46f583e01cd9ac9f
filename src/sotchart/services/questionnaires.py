"""Recording questionnaires for a patient, and each instrument's course against its baseline and MCID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound
from sotchart.domain.questionnaires import instrument, nrs
from sotchart.domain.questionnaires.base import Score
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, Unit, unit
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


@dataclass(frozen=True)
class CheckedResponse:
    """Answers as the instrument scores them, with the activities named and the day answered."""

    instrument_version: str
    scoring_version: str
    score: float
    percent: float | None
    band: str | None
    answers: list[Any]
    activities: list[str]
    answered_on: date
    scored: Score


def check_response(code: str, answers: Any, activities: Any, answered_on: str, today: date) -> CheckedResponse:
    """The one check of a questionnaire's answers, typed in or imported: the instrument scores them (an
    unknown instrument or an answer out of range is refused, named); PSFS names each activity; the day is
    read and not in the future."""
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
    try:
        day = date.fromisoformat(answered_on) if answered_on else today
    except ValueError as err:
        raise InvalidInput(
            "The date answered could not be read.", [FieldProblem("answered_on", "Use YYYY-MM-DD.")]
        ) from err
    if day > today:
        raise InvalidInput(
            "The date answered is in the future.", [FieldProblem("answered_on", "Use today or earlier.")]
        )
    return CheckedResponse(
        inst.version, inst.scoring_version, scored.score, scored.percent, scored.band, list(answers), names, day, scored
    )


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
    with unit(app, actor, Action.PATIENT_UPDATE, "questionnaire") as u:
        return record_in(
            u, patient_id, code, answers, activities=activities, visit_id=visit_id, answered_on=answered_on
        )


def record_in(
    u: Unit,
    patient_id: int,
    code: str,
    answers: Any,
    *,
    activities: Any = None,
    visit_id: int | None = None,
    answered_on: str = "",
) -> dict[str, Any]:
    """One response, scored and stored inside the caller's transaction (the tablet stores all it was given
    at once)."""
    if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
        raise NotFound("No such patient in this clinic.")
    if visit_id is not None:
        v = visit_store.get(u.conn, u.clinic_id(), visit_id)
        if v is None or v["patient_id"] != patient_id:
            raise InvalidInput(
                "That visit is not this patient's.",
                [FieldProblem("visit_id", "Leave it out or use one of this patient's visits.")],
            )
    checked = check_response(code, answers, activities, answered_on, u.today())
    rid = q_store.add(
        u.conn,
        clinic_id=u.clinic_id(),
        patient_id=patient_id,
        visit_id=visit_id,
        instrument=code,
        instrument_version=checked.instrument_version,
        scoring_version=checked.scoring_version,
        answers=checked.answers,
        activities=checked.activities,
        score=checked.score,
        percent=checked.percent,
        band=checked.band,
        answered_on=checked.answered_on,
        actor_id=u.actor.user_id,
        now=u.now,
    )
    u.audit("questionnaire.create", "questionnaire_response", rid, patient_id=patient_id, detail=code)
    return {"id": rid, **checked.scored.to_json(), "answered_on": checked.answered_on.isoformat()}


def courses(app: App, actor: Actor, patient_id: int) -> list[Course]:
    with unit(app, actor, Action.PATIENT_READ, "questionnaire", patient_id, read=True) as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        return read_courses(u, patient_id)


def read_courses(u: Unit, patient_id: int) -> list[Course]:
    """The patient's scores by instrument, read and audited inside the caller's unit (the chart page reads
    them with the chart, in one transaction and one audit write)."""
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
