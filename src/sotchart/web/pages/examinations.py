"""The blinded second examination form, and the examiner agreement page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain.errors import InvalidInput
from sotchart.services import examinations
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


@router.get("/visits/{visit_id}/second-exam")
def second_exam(
    request: Request, app: AppDep, user: PageUser, visit_id: RecordId, saved: Annotated[str, Query(max_length=1)] = ""
) -> Response:
    b = examinations.blank(app, user.actor, visit_id)
    return render(request, "second_exam.html", b=b, form={}, message="", saved=bool(saved))


@router.post("/visits/{visit_id}/second-exam")
def record_second_exam(request: Request, app: AppDep, user: PageUser, raw: FormDep, visit_id: RecordId) -> Response:
    form = {k: str(v) for k, v in raw.items()}
    try:
        findings, category, side = examinations.parse_form(app, form)
        examinations.record(app, user.actor, visit_id, findings, category, side)
    except InvalidInput as e:
        b = examinations.blank(app, user.actor, visit_id)
        problems = "; ".join(f"{p.field}: {p.message}" for p in e.problems)
        return render(
            request,
            "second_exam.html",
            status_code=422,
            b=b,
            form=form,
            message=f"{e.detail} {problems}".strip(),
            saved=False,
        )
    return RedirectResponse(f"/visits/{visit_id}/second-exam?saved=1", status_code=303)


@router.get("/analytics/agreement")
def agreement_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    try:
        r = examinations.examiner_agreement(app, user.actor, start=start, end=end)
    except InvalidInput as e:
        r = examinations.examiner_agreement(app, user.actor)
        return render(request, "agreement.html", status_code=422, r=r, message=e.detail)
    return render(request, "agreement.html", r=r, message="")
