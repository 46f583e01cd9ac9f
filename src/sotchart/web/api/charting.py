"""The visit's clinical record over JSON: read it, save a revision, sign it. The answer is the visit as
`/api/v1/visits/{id}` shows it, with its record added, under the same ETag (the visit's version)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response

from sotchart.services import charting, visits
from sotchart.web.api.etags import IfMatch, etag, if_match
from sotchart.web.deps import ActorDep, AppDep, RecordId

router = APIRouter(prefix="/api/v1", tags=["charting"])


def _json(record: charting.VisitRecord, response: Response) -> dict[str, Any]:
    visit = visits.as_visit(record.visit)
    response.headers["ETag"] = etag(visit.version)
    return {
        **visit.to_json(),
        "record": record.document,
        "assessment": record.assessment,
        "gate": record.gate.to_json(),
        "suggestions": record.suggestions,
        "changes_since_last_visit": record.changes,
        "sign_problems": [{"field": f, "message": m} for f, m in record.sign_problems],
        "history": [{**h, "created_at": h["created_at"].isoformat()} for h in record.history],
    }


@router.get("/visits/{visit_id}/record")
def read_record(app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response) -> dict[str, Any]:
    """The visit with its current record, the engine's assessment of it, the safety gate and what signing
    still needs."""
    return _json(charting.open_record(app, actor, visit_id), response)


@router.put("/visits/{visit_id}/record")
def save_record(
    app: AppDep,
    actor: ActorDep,
    visit_id: RecordId,
    response: Response,
    record: Annotated[dict[str, Any], Body(description="The whole visit record")],
    if_match_header: IfMatch = None,
) -> dict[str, Any]:
    """Save the record as a new revision; 412 when the visit changed since the ETag you send."""
    saved = charting.save_record(app, actor, visit_id, record, None, expected_version=if_match(if_match_header))
    return _json(saved, response)


@router.post("/visits/{visit_id}/record/sign")
def sign_record(
    app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response, if_match_header: IfMatch = None
) -> dict[str, Any]:
    """Sign the current revision; 422 with every missing element while the note is incomplete."""
    return _json(charting.sign(app, actor, visit_id, None, expected_version=if_match(if_match_header)), response)
