"""The practice analytics page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sotchart.domain.errors import InvalidInput
from sotchart.services import analytics, protocol
from sotchart.web.deps import AppDep, PageUser
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


@router.get("/analytics")
def analytics_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
    clinician: Annotated[str, Query(max_length=12)] = "",
    complaint: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    clinician_id = int(clinician) if clinician.isdigit() else None
    pack = protocol.active(app.settings)
    names = {code: p.name for code, p in pack.procedures.items()}
    names.update({code: i.name for code, i in pack.indicators.items()})
    try:
        d = analytics.dashboard(app, user.actor, start=start, end=end, clinician_id=clinician_id, complaint=complaint)
    except InvalidInput as e:
        d = analytics.dashboard(app, user.actor)
        return render(request, "analytics.html", status_code=422, d=d, message=e.detail, names=names)
    return render(request, "analytics.html", d=d, message="", names=names)
