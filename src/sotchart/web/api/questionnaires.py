"""Questionnaires over JSON: record a patient's answers, read each instrument's course."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from sotchart.services import questionnaires
from sotchart.web.deps import ActorDep, AppDep, RecordId

router = APIRouter(prefix="/api/v1", tags=["questionnaires"])


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instrument: str = Field(max_length=20, description="nrs-pain, psfs, odi, ndi, bq-back, bq-neck or hit-6")
    answers: list[int | float | str | None] = Field(max_length=30, description="In item order, null for skipped")
    activities: list[str] | None = Field(None, max_length=5, description="PSFS: the activity each rating is for")
    visit_id: int | None = None
    answered_on: str = Field("", max_length=10, description="YYYY-MM-DD; today when left out")


@router.post("/patients/{patient_id}/questionnaires", status_code=status.HTTP_201_CREATED)
def record(app: AppDep, actor: ActorDep, patient_id: RecordId, body: ResponseIn) -> dict[str, Any]:
    return questionnaires.record(
        app,
        actor,
        patient_id,
        body.instrument,
        body.answers,
        activities=body.activities,
        visit_id=body.visit_id,
        answered_on=body.answered_on,
    )


@router.get("/patients/{patient_id}/questionnaires")
def courses(app: AppDep, actor: ActorDep, patient_id: RecordId) -> dict[str, Any]:
    return {
        "instruments": [
            {"instrument": c.instrument, "name": c.name, "scores": c.points, "change": c.change}
            for c in questionnaires.courses(app, actor, patient_id)
        ]
    }
