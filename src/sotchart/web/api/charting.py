"""The visit's clinical record over JSON: read it, save a revision (If-Match: the revision you read), sign it."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Response

from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.services import charting
from sotchart.web.deps import ActorDep, AppDep

router = APIRouter(prefix="/api/v1", tags=["charting"])
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_REV = re.compile(r'^(?:W/)?"r(\d{1,9})"$')


def _json(record: charting.VisitRecord, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = f'"r{record.revision}"'
    return {
        "visit_id": record.visit["id"],
        "status": record.visit["status"],
        "revision": record.revision,
        "record": record.document,
        "assessment": record.assessment,
        "gate": record.gate.to_json(),
        "suggestions": record.suggestions,
        "changes_since_last_visit": record.changes,
        "sign_problems": [{"field": f, "message": m} for f, m in record.sign_problems],
        "history": [{**h, "created_at": h["created_at"].isoformat()} for h in record.history],
    }


def _revision(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    m = _REV.match(if_match.strip())
    if not m:
        raise InvalidInput(
            'If-Match must be the ETag of the record you read, e.g. "r12".',
            [FieldProblem("If-Match", 'Send the ETag header value unchanged, e.g. "r12".')],
        )
    return int(m.group(1))


IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.get("/visits/{visit_id}/record")
def read_record(app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response) -> dict[str, Any]:
    """The current record, the engine's assessment of it, the safety gate and what signing still needs."""
    return _json(charting.open_record(app, actor, visit_id), response)


@router.put("/visits/{visit_id}/record")
def save_record(
    app: AppDep,
    actor: ActorDep,
    visit_id: RecordId,
    response: Response,
    record: Annotated[dict[str, Any], Body(description="The whole visit record")],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Save the record as a new revision; 412 when someone saved a newer revision first."""
    return _json(charting.save_record(app, actor, visit_id, record, _revision(if_match)), response)


@router.post("/visits/{visit_id}/record/sign")
def sign_record(
    app: AppDep, actor: ActorDep, visit_id: RecordId, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    """Sign the current revision; 422 with every missing element while the note is incomplete."""
    return _json(charting.sign(app, actor, visit_id, _revision(if_match)), response)
