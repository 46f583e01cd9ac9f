"""POST /api/v1/assessments: the SOT engine over HTTP (stateless: nothing is stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from sotchart.services import assessments
from sotchart.web.deps import ActorDep, AppDep

router = APIRouter(prefix="/api/v1", tags=["assessments"])

EXAMPLE = {
    "patient": {"age": 44, "sex": "female", "pregnant": False},
    "payer": "commercial",
    "history": {"red_flags": [], "conditions": []},
    "vitals": {"systolic": 128, "diastolic": 78, "pulse": 70, "symptoms": []},
    "findings": [
        {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 6},
        {"code": "leg-length-prone", "phase": "post", "value": "even"},
    ],
    "treatment": {"spinal_regions": ["pelvic"], "blocks": [{"site": "iliac-crest", "side": "left"}]},
    "confirmed_category": {"category": 1, "side": "right"},
}


@router.post("/assessments")
def assess(
    app: AppDep,
    actor: ActorDep,
    exam: Annotated[
        dict[str, Any], Body(description="An exam in sotchart's codes (docs/protocol-pack.md)", examples=[EXAMPLE])
    ],
) -> dict[str, Any]:
    """Safety screen, category evidence, blocking template, recheck and coding for one exam."""
    return assessments.assess_for(app.settings, actor, exam)
