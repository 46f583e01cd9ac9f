"""Routes of the JSON API: thin over the services, with ETag / If-Match on records that change."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from sotchart.services import patients, visits
from sotchart.web.api.etags import IfMatch, etag, if_match
from sotchart.web.api.schemas import (
    AlertIn,
    EnteredInErrorIn,
    EpisodeIn,
    PatientIn,
    PatientPatch,
    VisitIn,
    VisitPatch,
)
from sotchart.web.deps import ActorDep, AppDep, RecordId

router = APIRouter(prefix="/api/v1", tags=["records"])


@router.get("/me")
def me(actor: ActorDep) -> dict[str, Any]:
    return {"user_id": actor.user_id, "clinic_id": actor.clinic_id, "role": actor.role.value, "email": actor.label}


@router.get("/patients")
def search_patients(
    app: AppDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=200, description="Name prefix, 'family, given', chart number or date")] = "",
    birth_date: Annotated[str, Query(max_length=10)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    found = patients.search_patients(app, actor, patients.SearchQuery.parse(q, birth_date), limit)
    return {"patients": [p.to_json() for p in found]}


@router.post("/patients", status_code=status.HTTP_201_CREATED)
def register_patient(app: AppDep, actor: ActorDep, body: PatientIn, response: Response) -> dict[str, Any]:
    p = patients.register_patient(app, actor, body.model_dump())
    response.headers["ETag"] = etag(p.version)
    response.headers["Location"] = f"/api/v1/patients/{p.id}"
    return p.to_json()


@router.get("/patients/{patient_id}")
def read_patient(
    app: AppDep,
    actor: ActorDep,
    patient_id: RecordId,
    response: Response,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    chart = patients.open_chart(app, actor, patient_id, before)
    response.headers["ETag"] = etag(chart.patient.version)
    return {
        **chart.patient.to_json(),
        "alerts": [{"id": a.id, "kind": a.kind, "text": a.text} for a in chart.alerts],
        "visit_count": chart.visit_summary["count"],
    }


@router.patch("/patients/{patient_id}")
def update_patient(
    app: AppDep,
    actor: ActorDep,
    patient_id: RecordId,
    body: PatientPatch,
    response: Response,
    if_match_header: IfMatch = None,
) -> dict[str, Any]:
    p = patients.update_patient(app, actor, patient_id, body.model_dump(exclude_none=True), if_match(if_match_header))
    response.headers["ETag"] = etag(p.version)
    return p.to_json()


@router.post("/patients/{patient_id}/alerts", status_code=status.HTTP_201_CREATED)
def add_alert(app: AppDep, actor: ActorDep, patient_id: RecordId, body: AlertIn) -> dict[str, Any]:
    a = patients.add_alert(app, actor, patient_id, body.kind, body.text)
    return {"id": a.id, "kind": a.kind, "text": a.text}


@router.post("/patients/{patient_id}/episodes", status_code=status.HTTP_201_CREATED)
def start_episode(app: AppDep, actor: ActorDep, patient_id: RecordId, body: EpisodeIn) -> dict[str, Any]:
    return {"id": visits.start_episode(app, actor, patient_id, body.complaint, body.start_date)}


@router.get("/patients/{patient_id}/visits")
def list_visits(
    app: AppDep, actor: ActorDep, patient_id: RecordId, before: Annotated[str | None, Query(max_length=40)] = None
) -> dict[str, Any]:
    chart = patients.open_chart(app, actor, patient_id, before)
    return {
        "visits": [
            {
                "id": v["id"],
                "visit_date": v["visit_date"].isoformat(),
                "kind": v["kind"],
                "status": v["status"],
                "complaint": v["complaint"],
                "version": v["version"],
            }
            for v in chart.visits
        ],
        "next": f"/api/v1/patients/{patient_id}/visits?before={chart.next_cursor}" if chart.next_cursor else None,
        "total": chart.visit_summary["count"],
    }


@router.post("/patients/{patient_id}/visits", status_code=status.HTTP_201_CREATED)
def create_visit(
    app: AppDep, actor: ActorDep, patient_id: RecordId, body: VisitIn, response: Response
) -> dict[str, Any]:
    v = visits.create_visit(app, actor, patient_id, body.model_dump(exclude_none=True))
    response.headers["ETag"] = etag(v.version)
    response.headers["Location"] = f"/api/v1/visits/{v.id}"
    return v.to_json()


@router.get("/visits/{visit_id}")
def read_visit(app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response) -> dict[str, Any]:
    v = visits.get_visit(app, actor, visit_id)
    response.headers["ETag"] = etag(v.version)
    return v.to_json()


@router.patch("/visits/{visit_id}")
def update_visit(
    app: AppDep,
    actor: ActorDep,
    visit_id: RecordId,
    body: VisitPatch,
    response: Response,
    if_match_header: IfMatch = None,
) -> dict[str, Any]:
    v = visits.update_visit(app, actor, visit_id, body.model_dump(exclude_none=True), if_match(if_match_header))
    response.headers["ETag"] = etag(v.version)
    return v.to_json()


@router.post("/visits/{visit_id}/sign")
def sign_visit(
    app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response, if_match_header: IfMatch = None
) -> dict[str, Any]:
    v = visits.sign_visit(app, actor, visit_id, if_match(if_match_header))
    response.headers["ETag"] = etag(v.version)
    return v.to_json()


@router.post("/visits/{visit_id}/entered-in-error")
def mark_entered_in_error(
    app: AppDep,
    actor: ActorDep,
    visit_id: RecordId,
    body: EnteredInErrorIn,
    response: Response,
    if_match_header: IfMatch = None,
) -> dict[str, Any]:
    v = visits.mark_entered_in_error(app, actor, visit_id, body.reason, if_match(if_match_header))
    response.headers["ETag"] = etag(v.version)
    return v.to_json()
